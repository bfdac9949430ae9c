package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime/debug"
	"sync"
)

// closeTracer wraps the connections the tool dials so that a read or
// write that fails with net.ErrClosed prints the stack of the Close that
// closed the connection. "use of closed network connection" always means
// this process closed its own side, so the stack shows which code did.
type closeTracer struct {
	dial   func(ctx context.Context, network, address string) (net.Conn, error)
	output io.Writer
	mu     sync.Mutex // serializes writes to output
}

func (t *closeTracer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	conn, err := t.dial(ctx, network, address)
	if err != nil {
		return nil, err
	}
	return &tracedConn{Conn: conn, tracer: t}, nil
}

// tracedConn is a net.Conn that records the stack of its first Close.
type tracedConn struct {
	net.Conn
	tracer *closeTracer

	mu         sync.Mutex
	closeStack []byte
	reported   bool
}

func (c *tracedConn) Close() error {
	c.mu.Lock()
	if c.closeStack == nil {
		c.closeStack = debug.Stack()
	}
	c.mu.Unlock()
	return c.Conn.Close()
}

func (c *tracedConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.reportClosed("read", err)
	return n, err
}

func (c *tracedConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.reportClosed("write", err)
	return n, err
}

// reportClosed prints, once per connection, where the connection was
// closed when err is a use of the closed connection.
func (c *tracedConn) reportClosed(operation string, err error) {
	if !errors.Is(err, net.ErrClosed) {
		return
	}
	c.mu.Lock()
	stack, first := c.closeStack, !c.reported
	c.reported = true
	c.mu.Unlock()
	if !first {
		return
	}

	c.tracer.mu.Lock()
	defer c.tracer.mu.Unlock()
	fmt.Fprintf(c.tracer.output, "%s on closed connection %s->%s: %v\nclosed by:\n%s\nfailed %s at:\n%s\n",
		operation, c.LocalAddr(), c.RemoteAddr(), err, stack, operation, debug.Stack())
}
