// rng: a small, platform-independent random number generator for training (xoshiro256**, seeded by
// splitmix64). std:: distributions differ between standard libraries, so we draw floats ourselves: the
// same seed gives the same numbers on every platform.
//
// Training derives each stream from (seed, purpose, counter) instead of one running state, so a resumed
// run only needs the seed and the step to reproduce every later dropout mask and shuffle.
#pragma once

#include <cmath>
#include <cstdint>

struct train_rng {
    uint64_t s[4];

    // splitmix64 of `seed` mixed with up to three stream ids
    explicit train_rng(uint64_t seed, uint64_t a = 0, uint64_t b = 0, uint64_t c = 0) {
        uint64_t x = seed ^ (a * 0x9E3779B97F4A7C15ull) ^ (b * 0xC2B2AE3D27D4EB4Full) ^ (c * 0x165667B19E3779F9ull);
        for (uint64_t & v : s) {
            uint64_t z = (x += 0x9E3779B97F4A7C15ull);
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
            v = z ^ (z >> 31);
        }
    }

    uint64_t next() {
        const uint64_t result = rotl(s[1] * 5, 7) * 9;
        const uint64_t t = s[1] << 17;
        s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
        s[2] ^= t;
        s[3] = rotl(s[3], 45);
        return result;
    }

    // uniform in [0, 1), 24 random bits
    float uniform() { return (float) (next() >> 40) * (1.0f / 16777216.0f); }

    // uniform integer in [0, n)
    uint64_t below(uint64_t n) { return next() % n; }

  private:
    static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
};
