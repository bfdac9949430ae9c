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
