// log-capture: routes llama.cpp / ggml log lines into a small in-memory ring so that error messages can
// quote what llama.cpp said (e.g. "llama.cpp said: tensor 'blk.0.attn_q.weight' has wrong shape").
//
// Lines are echoed to stderr only when SOO_LAB_NATIVE_LOG is set ("1": warnings and errors, "debug": all).
// One job runs at a time in the engine process, so a capture window is simply "lines since I started".
#pragma once

#include <string>

// Installs the log callback (llama_log_set, which also covers ggml). Idempotent.
void log_capture_install();

// RAII window over the log: suffix() gives " (llama.cpp said: <warnings and errors since construction>)",
// or "" when there were none.
class log_capture {
  public:
    log_capture();
    std::string suffix() const;

  private:
    unsigned long long start_;
};
