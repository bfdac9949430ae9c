package awsjson

import (
	"encoding/json"
	"net/http/httptest"
	"strconv"
	"testing"
)

// page is an Appender whose JSON is its text in a one-member object.
type page struct {
	Text string `json:"Text"`
}

func (p page) AppendJSON(b []byte) []byte {
	b = append(b, `{"Text":`...)
	b = strconv.AppendQuote(b, p.Text)
	return append(b, '}')
}

func TestWriteResultAppender(t *testing.T) {
	// The second write may reuse the first one's buffer, so its body must
	// not keep bytes of the first.
	for _, text := range []string{"a longer first body", "short"} {
		recorder := httptest.NewRecorder()
		if err := WriteResult(recorder, page{Text: text}); err != nil {
			t.Fatalf("WriteResult: %v", err)
		}

		want, err := json.Marshal(struct {
			Text string `json:"Text"`
		}{text})
		if err != nil {
			t.Fatalf("json.Marshal: %v", err)
		}
		if got := recorder.Body.String(); got != string(want) {
			t.Errorf("body = %s, want %s", got, want)
		}
		if got := recorder.Header().Get("Content-Length"); got != strconv.Itoa(len(want)) {
			t.Errorf("Content-Length = %q, want %d", got, len(want))
		}
		if got := recorder.Header().Get("Content-Type"); got != ContentType {
			t.Errorf("Content-Type = %q, want %q", got, ContentType)
		}
		if recorder.Code != 200 {
			t.Errorf("status = %d, want 200", recorder.Code)
		}
	}
}

func TestWriteResultMarshals(t *testing.T) {
	recorder := httptest.NewRecorder()
	if err := WriteResult(recorder, map[string]int{"Count": 3}); err != nil {
		t.Fatalf("WriteResult: %v", err)
	}
	if got := recorder.Body.String(); got != `{"Count":3}` {
		t.Errorf("body = %s, want {\"Count\":3}", got)
	}
	if got := recorder.Header().Get("Content-Length"); got != "11" {
		t.Errorf("Content-Length = %q, want 11", got)
	}
}

// sizedPage is a page that hints its JSON length.
type sizedPage struct {
	page
	hint int
}

func (p sizedPage) JSONSizeHint() int { return p.hint }

func TestWriteResultKeepsSizedBuffer(t *testing.T) {
	for len(bodyBuffers) > 0 {
		<-bodyBuffers
	}

	const hint = 64 << 10
	if err := WriteResult(httptest.NewRecorder(), sizedPage{page{Text: "first"}, hint}); err != nil {
		t.Fatalf("WriteResult: %v", err)
	}
	if len(bodyBuffers) != 1 {
		t.Fatalf("%d buffers kept after one write, want 1", len(bodyBuffers))
	}
	reused := <-bodyBuffers
	if cap(reused) < hint {
		t.Errorf("kept buffer has capacity %d, want at least the hint %d", cap(reused), hint)
	}

	// A kept buffer smaller than the next hint is replaced, not grown.
	bodyBuffers <- make([]byte, 0, 16)
	if err := WriteResult(httptest.NewRecorder(), sizedPage{page{Text: "second"}, hint}); err != nil {
		t.Fatalf("WriteResult: %v", err)
	}
	replaced := <-bodyBuffers
	if cap(replaced) < hint {
		t.Errorf("buffer after a larger hint has capacity %d, want at least %d", cap(replaced), hint)
	}
}
