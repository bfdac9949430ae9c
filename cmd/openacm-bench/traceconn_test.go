package main

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
)

func closeConnection(conn net.Conn) { _ = conn.Close() }

func TestTracedConnReportsCloser(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	defer listener.Close()

	var output bytes.Buffer
	tracer := &closeTracer{dial: (&net.Dialer{}).DialContext, output: &output}
	conn, err := tracer.DialContext(context.Background(), "tcp", listener.Addr().String())
	if err != nil {
		t.Fatalf("DialContext: %v", err)
	}
	closeConnection(conn)

	if _, err := conn.Read(make([]byte, 1)); err == nil {
		t.Fatal("Read on a closed connection succeeded")
	}
	report := output.String()
	if !strings.Contains(report, "read on closed connection") {
		t.Errorf("report does not name the failed read:\n%s", report)
	}
	if !strings.Contains(report, "closeConnection") {
		t.Errorf("report does not show the stack of the Close:\n%s", report)
	}

	output.Reset()
	_, _ = conn.Read(make([]byte, 1))
	if output.Len() != 0 {
		t.Errorf("second failed read reported again:\n%s", output.String())
	}
}
