//go:build !linux

package keypool

import (
	"crypto"
	"errors"
	"log/slog"
)

// errChildUnavailable means keys are generated in this process. Only Linux
// builds start a key generator child.
var errChildUnavailable = errors.New("key generator child is not available on this system")

type childKey struct {
	pem    []byte
	public crypto.PublicKey
}

// childGenerator replaces the key generator child on systems where this
// package does not start one.
type childGenerator struct{}

func newChildGenerator(*slog.Logger) *childGenerator { return &childGenerator{} }

func (*childGenerator) generate(string) (childKey, error) { return childKey{}, errChildUnavailable }

func (*childGenerator) stop() {}
