package keypool

import (
	"crypto/x509"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"

	"github.com/openacm/openacm/internal/issuance"
)

// childEnv, set to the process id of a process's parent, makes this
// package serve key requests on the child's pipes and exit before main
// runs. The pool sets it only in the child's environment, never in its own.
// A value that names another process, such as one left in a shell's
// environment, is removed and ignored.
const childEnv = "OPENACM_KEYPOOL_CHILD"

// File descriptors of the child's pipes, as cmd.ExtraFiles places them.
// Stdout is left alone, so stray output cannot corrupt a frame.
const (
	childRequestsFD  = 3
	childResponsesFD = 4
)

// maxChildRequests bounds the keys the child generates at once. The pool
// requests at most Options.Generators keys at once, so only a broken parent
// reaches this.
const maxChildRequests = 256

// init turns this process into the key generator child when the pool
// started it. Doing it here works in any executable that links this
// package, test binaries too, without a change to its main package.
func init() {
	if !childRequested() {
		return
	}

	// The child exits when its request pipe closes, so it leaves signals
	// such as Ctrl-C, which reach the whole process group, to the server.
	signal.Ignore(syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)

	requests, responses, err := childPipes()
	if err != nil {
		fmt.Fprintf(os.Stderr, "key generator child %d stopped on an error: %v\n", os.Getpid(), err)
		os.Exit(1)
	}
	if err := serveKeyRequests(requests, responses); err != nil {
		// The server logs each line of this stderr in its own format.
		fmt.Fprintf(os.Stderr, "key generator child %d stopped on an error: %v\n", os.Getpid(), err)
		os.Exit(1)
	}
	os.Exit(0)
}

// childPipes sets the inherited pipes non-blocking and returns them. A read
// of a blocking pipe holds a thread in a system call, and the Go runtime's
// monitor then wakes every 20 µs, each time on a core that generates keys.
func childPipes() (requests, responses *os.File, err error) {
	for _, fd := range []int{childRequestsFD, childResponsesFD} {
		if err := syscall.SetNonblock(fd, true); err != nil {
			return nil, nil, fmt.Errorf("set pipe descriptor %d to non-blocking: %w", fd, err)
		}
	}
	// NewFile registers a non-blocking descriptor with the poller.
	return os.NewFile(childRequestsFD, "key requests"), os.NewFile(childResponsesFD, "key responses"), nil
}

// childRequested reports whether this process's parent started it as the
// key generator child. It removes a childEnv that names another process.
func childRequested() bool {
	parent, ok := os.LookupEnv(childEnv)
	if !ok {
		return false
	}
	if parent != strconv.Itoa(os.Getppid()) {
		os.Unsetenv(childEnv)
		return false
	}
	return true
}

// serveKeyRequests generates a key for each request, each in a goroutine
// of its own, and writes the responses in the order they finish. Once the
// parent closes requests, it responds to the requests it read and returns nil.
// The parent may have sent a request just before it closed the pipe, and
// that request gets its key.
func serveKeyRequests(requests io.Reader, responses io.Writer) error {
	var (
		writeMu  sync.Mutex
		writeErr error
		slots    = make(chan struct{}, maxChildRequests)
		inFlight sync.WaitGroup
	)
	for {
		payload, err := readFrame(requests)
		if err == io.EOF {
			inFlight.Wait()
			return nil
		}
		if err != nil {
			return fmt.Errorf("read a key request: %w", err)
		}
		request, err := decodeRequest(payload)
		if err != nil {
			return err
		}

		slots <- struct{}{}
		inFlight.Go(func() {
			defer func() { <-slots }()
			response := generateForParent(request)
			frame, err := encodeResponse(response)
			clear(response.pem)
			if err != nil {
				frame, _ = encodeResponse(keyResponse{id: request.id, err: err.Error()})
			}

			writeMu.Lock()
			defer writeMu.Unlock()
			if writeErr == nil {
				_, writeErr = responses.Write(frame)
			}
			clear(frame)
			if writeErr != nil {
				// The parent is gone or broke the pipe, so no later response can arrive.
				fmt.Fprintf(os.Stderr, "key generator child %d failed to write a key: %v\n", os.Getpid(), writeErr)
				os.Exit(1)
			}
		})
	}
}

// generateForParent generates the key of request and returns it as the
// parent stores it.
func generateForParent(request keyRequest) keyResponse {
	signer, err := issuance.GenerateKey(request.algorithm)
	if err != nil {
		return keyResponse{id: request.id, err: err.Error()}
	}
	keyPEM, err := issuance.MarshalPrivateKey(signer)
	if err != nil {
		return keyResponse{id: request.id, err: err.Error()}
	}
	publicDER, err := x509.MarshalPKIXPublicKey(signer.Public())
	if err != nil {
		clear(keyPEM)
		return keyResponse{id: request.id, err: fmt.Sprintf("marshal the public key of a %s key: %v", request.algorithm, err)}
	}
	return keyResponse{id: request.id, pem: keyPEM, publicDER: publicDER}
}
