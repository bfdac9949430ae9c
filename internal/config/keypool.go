package config

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"github.com/openacm/openacm/internal/issuance"
)

// DefaultKeyPool keeps 32 RSA-2048 keys ready, the default key algorithm
// of ACM. Sealed, each takes under 2 KB of memory, and 32 keys take about
// 1.3 s of one core to generate.
const DefaultKeyPool = issuance.RSA2048 + "=32"

// KeyPoolSizes parses --key-pool into the number of keys kept ready per
// ACM key algorithm.
func (c *Config) KeyPoolSizes() (map[string]int, error) {
	sizes := map[string]int{}
	for entry := range strings.SplitSeq(c.KeyPool, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		algorithm, count, ok := strings.Cut(entry, "=")
		if !ok {
			return nil, fmt.Errorf("invalid --key-pool entry %q: want ALGORITHM=COUNT, such as RSA_2048=32", entry)
		}
		if !issuance.KnownKeyAlgorithm(algorithm) {
			return nil, fmt.Errorf("invalid --key-pool entry %q: unknown key algorithm %q, want one of RSA_1024, RSA_2048, RSA_3072, RSA_4096, EC_prime256v1, EC_secp384r1, EC_secp521r1", entry, algorithm)
		}
		n, err := strconv.Atoi(count)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("invalid --key-pool entry %q: want a count of 0 or more", entry)
		}
		if _, seen := sizes[algorithm]; seen {
			return nil, fmt.Errorf("invalid --key-pool: %s is listed twice", algorithm)
		}
		sizes[algorithm] = n
	}
	return sizes, nil
}

// KeyPoolGeneratorCounts returns how many pooled keys are generated at
// once while the server is idle and while API requests are in flight,
// with the defaults of 0 resolved.
func (c *Config) KeyPoolGeneratorCounts() (idle, busy int) {
	idle = c.KeyPoolGenerators
	if idle == 0 {
		idle = runtime.GOMAXPROCS(0)
	}
	busy = c.KeyPoolBusyGenerators
	if busy == 0 {
		busy = max(idle/2, 1)
	}
	return idle, min(busy, idle)
}

func (c *Config) validateKeyPool() error {
	if _, err := c.KeyPoolSizes(); err != nil {
		return err
	}
	if c.KeyPoolGenerators < 0 {
		return fmt.Errorf("invalid --key-pool-generators %d: want 0 (one per core) or more", c.KeyPoolGenerators)
	}
	if c.KeyPoolBusyGenerators < 0 {
		return fmt.Errorf("invalid --key-pool-busy-generators %d: want 0 (half of --key-pool-generators) or more", c.KeyPoolBusyGenerators)
	}
	return nil
}
