package app

import (
	"context"
	"time"
)

// RunPrivateCAWorkerOnce runs one pass of the private CA background loop
// now and waits for it: key generation, CA expiry and the purge of DELETED
// CAs. Tests that move a fake clock call it instead of waiting for the
// loop's idle interval.
func (a *App) RunPrivateCAWorkerOnce(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	return a.pca.RunOnce(ctx)
}
