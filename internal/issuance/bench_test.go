package issuance

import (
	"testing"
	"time"
)

func BenchmarkIssueLeaf(b *testing.B) {
	ca := testCA(b)
	for _, algorithm := range []string{RSA2048, ECP256, ECP384} {
		b.Run(algorithm, func(b *testing.B) {
			req := testLeafRequest(testKey(b, algorithm).Public(), time.Now())

			for b.Loop() {
				if _, err := ca.IssueLeaf(req); err != nil {
					b.Fatalf("IssueLeaf: %v", err)
				}
			}
		})
	}
}

// BenchmarkGenerateKey measures key generation on every core at once, so
// ns/op is the machine's rate: keys per second = 1e9 / ns/op.
func BenchmarkGenerateKey(b *testing.B) {
	for _, algorithm := range []string{RSA2048, ECP256} {
		b.Run(algorithm, func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := GenerateKey(algorithm); err != nil {
						b.Errorf("GenerateKey(%s): %v", algorithm, err)
						return
					}
				}
			})
		})
	}
}
