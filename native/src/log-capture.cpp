// log-capture: see log-capture.h.
#include "log-capture.h"

#include "llama.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>

namespace {

struct log_line {
    unsigned long long seq;
    ggml_log_level     level;
    std::string        text;
};

struct log_ring {
    std::mutex           mutex;
    std::deque<log_line> lines;     // the most recent lines, oldest first
    unsigned long long   next_seq = 0;
    std::string          partial;   // ggml may send one line in several calls (GGML_LOG_LEVEL_CONT)
    ggml_log_level       partial_level = GGML_LOG_LEVEL_INFO;
    int                  echo = 0;  // 0: silent, 1: warn+error to stderr, 2: everything
};

constexpr size_t LOG_RING_MAX_LINES = 64;

log_ring & ring() {
    static log_ring r; // lives for the whole process: the callback may fire from any thread
    return r;
}

void log_callback(ggml_log_level level, const char * text, void * /*user_data*/) {
    log_ring &                  r = ring();
    std::lock_guard<std::mutex> lock(r.mutex);
    if (level != GGML_LOG_LEVEL_CONT) {
        r.partial_level = level;
    }
    r.partial += text;
    size_t nl;
    while ((nl = r.partial.find('\n')) != std::string::npos) {
        std::string line = r.partial.substr(0, nl);
        r.partial.erase(0, nl + 1);
        const bool important = r.partial_level == GGML_LOG_LEVEL_WARN || r.partial_level == GGML_LOG_LEVEL_ERROR;
        if (r.echo == 2 || (r.echo == 1 && important)) fprintf(stderr, "[llama.cpp] %s\n", line.c_str());
        if (!important || line.empty()) continue;
        r.lines.push_back({ r.next_seq++, r.partial_level, line });
        if (r.lines.size() > LOG_RING_MAX_LINES) r.lines.pop_front();
    }
}

} // namespace

void log_capture_install() {
    const char * env = std::getenv("SOO_LAB_NATIVE_LOG");
    {
        std::lock_guard<std::mutex> lock(ring().mutex);
        ring().echo = env == nullptr ? 0 : (std::strcmp(env, "debug") == 0 ? 2 : 1);
    }
    llama_log_set(log_callback, nullptr);
}

log_capture::log_capture() {
    std::lock_guard<std::mutex> lock(ring().mutex);
    start_ = ring().next_seq;
}

std::string log_capture::suffix() const {
    std::lock_guard<std::mutex> lock(ring().mutex);
    std::string                 said;
    for (const auto & line : ring().lines) {
        if (line.seq < start_) continue;
        said += (said.empty() ? "" : " | ") + line.text;
    }
    return said.empty() ? "" : " (llama.cpp said: " + said + ")";
}
