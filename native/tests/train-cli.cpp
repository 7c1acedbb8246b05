// train-cli: trains a SOO LoRA adapter from token-id pairs, for tests and benches that drive the native
// trainer from outside (test/native/train-soo.test.ts). Not the product's CLI (that is electron/cli).
//
// Usage: train-cli --model M.gguf --pairs P.txt --out A.gguf [--layer L] [--targets attn_q,attn_v]
//                  [--rank R] [--alpha A] [--dropout P] [--lr LR] [--epochs N] [--batch B] [--seed S]
//                  [--positions full|last|mean] [--threads T] [--no-fast-backward]
// Pairs file: one pair per line, "self ids | other ids", ids separated by spaces.
// Prints one JSON object: {"steps", "losses": [...] (per step, before the update), "final_loss" (mean
// eval loss of all pairs with the written adapter, no dropout), "step_ms" (mean)}. Errors: message on
// stderr, exit code 2 for bad input, 1 otherwise.
#include "errors.h"
#include "train/soo-trainer.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::vector<soo_pair> read_pairs(const std::string & path) {
    std::ifstream f(path);
    if (!f) throw soo_error(SOO_ERROR_BAD_INPUT, "cannot read pairs file '" + path + "'", path);
    std::vector<soo_pair> pairs;
    std::string line;
    int line_no = 0;
    while (std::getline(f, line)) {
        ++line_no;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        const size_t bar = line.find('|');
        if (bar == std::string::npos) {
            throw soo_error(SOO_ERROR_BAD_INPUT, path + ":" + std::to_string(line_no) + ": expected 'self ids | other ids'", path);
        }
        soo_pair p;
        std::istringstream self(line.substr(0, bar)), other(line.substr(bar + 1));
        for (int32_t t; self >> t;) p.self.push_back(t);
        for (int32_t t; other >> t;) p.other.push_back(t);
        pairs.push_back(p);
    }
    return pairs;
}

std::vector<std::string> split(const std::string & s) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    for (std::string x; std::getline(ss, x, ',');) if (!x.empty()) out.push_back(x);
    return out;
}

} // namespace

int main(int argc, char ** argv) {
    // ggml's debug lines (e.g. one per AMX-repacked tensor) are noise here; warnings and errors stay
    ggml_log_set([](ggml_log_level level, const char * text, void *) { if (level >= GGML_LOG_LEVEL_WARN) fputs(text, stderr); }, nullptr);
    soo_train_params p;
    std::string pairs_path, out;
    try {
        for (int i = 1; i < argc; ++i) {
            const std::string a = argv[i];
            auto next = [&]() -> std::string {
                if (i + 1 >= argc) throw soo_error(SOO_ERROR_BAD_INPUT, "option " + a + " needs a value");
                return argv[++i];
            };
            if      (a == "--model")     p.model_path = next();
            else if (a == "--pairs")     pairs_path = next();
            else if (a == "--out")       out = next();
            else if (a == "--layer")     p.layer = std::atoi(next().c_str());
            else if (a == "--targets")   p.targets = split(next());
            else if (a == "--rank")      p.rank = std::atoi(next().c_str());
            else if (a == "--alpha")     p.alpha = (float) std::atof(next().c_str());
            else if (a == "--dropout")   p.dropout = (float) std::atof(next().c_str());
            else if (a == "--lr")        p.optimizer.lr = (float) std::atof(next().c_str());
            else if (a == "--epochs")    p.epochs = std::atoi(next().c_str());
            else if (a == "--batch")     p.batch = std::atoi(next().c_str());
            else if (a == "--seed")      p.seed = std::strtoull(next().c_str(), nullptr, 10);
            else if (a == "--positions") p.positions = soo_positions_from_name(next());
            else if (a == "--point")     p.point = soo_point_from_name(next());
            else if (a == "--self-anchor") p.self_anchor = (float) std::atof(next().c_str());
            else if (a == "--threads")   p.n_threads = std::atoi(next().c_str());
            else if (a == "--no-fast-backward") p.fast_backward = false;
            else throw soo_error(SOO_ERROR_BAD_INPUT, "unknown option '" + a + "'");
        }
        if (p.model_path.empty() || pairs_path.empty() || out.empty()) throw soo_error(SOO_ERROR_BAD_INPUT, "--model, --pairs and --out are required");

        auto tr = soo_trainer_init(p, read_pairs(pairs_path));
        double total_ms = 0;
        const soo_train_result res = soo_trainer_run(*tr, [&](const soo_train_progress & pr) { total_ms += pr.step_ms; }, nullptr);
        soo_trainer_save_adapter(*tr, out);
        double final_loss = 0;
        for (const soo_pair & pair : tr->pairs) final_loss += soo_trainer_pair_loss(*tr, pair, false, false);
        final_loss /= (double) tr->pairs.size();

        printf("{\"steps\": %lld, \"losses\": [", (long long) res.steps);
        for (size_t i = 0; i < res.losses.size(); ++i) printf("%s%.9g", i ? ", " : "", res.losses[i]);
        printf("], \"final_loss\": %.9g, \"step_ms\": %.3f}\n", final_loss, res.losses.empty() ? 0.0 : total_ms / (double) res.losses.size());
        return 0;
    } catch (const soo_error & e) {
        fprintf(stderr, "%s\n", e.what());
        return e.code == SOO_ERROR_BAD_INPUT ? 2 : 1;
    } catch (const std::exception & e) {
        fprintf(stderr, "%s\n", e.what());
        return 1;
    }
}
