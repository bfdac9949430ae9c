// Package awsjson frames the AWS JSON 1.1 protocol: it decodes request
// bodies into operation inputs and writes results and errors the way AWS
// services do. It contains no operation, because the api package routes them.
package awsjson

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/openacm/openacm/internal/apierr"
)

// ContentType is the media type of AWS JSON 1.1 bodies.
const ContentType = "application/x-amz-json-1.1"

// Decode fills v from a request body whose JSON types were already checked
// against the service model. An empty body is the empty object.
func Decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if bytes.Contains(body, []byte("null")) {
		cleaned, err := dropNullListElements(body)
		if err != nil {
			return apierr.New(apierr.Serialization, "The request body could not be read as the operation's input.")
		}
		body = cleaned
	}
	if err := json.Unmarshal(body, v); err != nil {
		return apierr.New(apierr.Serialization, "The request body could not be read as the operation's input.")
	}
	return nil
}

// dropNullListElements removes null elements from every JSON array in body.
// The model check treats a null as an absent value, so a null list element
// must not reach the operation as an empty string or structure.
func dropNullListElements(body []byte) ([]byte, error) {
	var tree any
	decoder := json.NewDecoder(bytes.NewReader(body))
	decoder.UseNumber()
	if err := decoder.Decode(&tree); err != nil {
		return nil, err
	}
	return json.Marshal(withoutNulls(tree))
}

func withoutNulls(value any) any {
	switch v := value.(type) {
	case map[string]any:
		for key, member := range v {
			v[key] = withoutNulls(member)
		}
		return v
	case []any:
		kept := v[:0]
		for _, element := range v {
			if element != nil {
				kept = append(kept, withoutNulls(element))
			}
		}
		return kept
	default:
		return value
	}
}

// Appender is a result that appends its own JSON to b: the bytes that
// json.Marshal would write for it. WriteResult writes an Appender without
// json.Marshal, which checks and compacts the output of every MarshalJSON
// method in a second pass over it.
type Appender interface {
	AppendJSON(b []byte) []byte
}

// maxPooledBody is the largest body buffer kept for reuse. A page of 1000
// summaries of certificates with one name each takes about 600 KB. Larger
// buffers are left to the garbage collector.
const maxPooledBody = 1 << 20

// pooledBodies is how many body buffers are kept for reuse, at most 4 MB
// when idle. A sync.Pool lost its buffers at every garbage collection, so
// a list page grew a new one by doubling: 1.5 MB allocated for 600 KB.
const pooledBodies = 4

var bodyBuffers = make(chan []byte, pooledBodies)

// SizedAppender is an Appender that can estimate its length, so that its
// buffer is allocated once and not grown by doubling.
type SizedAppender interface {
	Appender
	// JSONSizeHint returns about how many bytes AppendJSON appends.
	JSONSizeHint() int
}

// WriteResult writes a 200 reply whose body is v as JSON.
func WriteResult(w http.ResponseWriter, v any) error {
	var body []byte
	if appender, ok := v.(Appender); ok {
		buffer := takeBodyBuffer(appender)
		body = appender.AppendJSON(buffer)
		defer keepBodyBuffer(body)
	} else {
		var err error
		body, err = json.Marshal(v)
		if err != nil {
			return err
		}
	}

	// With a length, net/http sends the body as it is instead of in chunks.
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, err := w.Write(body)
	return err
}

// takeBodyBuffer returns an empty buffer for appender's body. It is a kept
// buffer when one is free and large enough, else a new one of the hinted size.
func takeBodyBuffer(appender Appender) []byte {
	size := 0
	if sized, ok := appender.(SizedAppender); ok {
		size = sized.JSONSizeHint()
	}

	select {
	case buffer := <-bodyBuffers:
		if cap(buffer) >= size {
			return buffer[:0]
		}
	default:
	}
	return make([]byte, 0, size)
}

// keepBodyBuffer keeps body's buffer for reuse when there is room for it
// and it is not too large.
func keepBodyBuffer(body []byte) {
	if cap(body) == 0 || cap(body) > maxPooledBody {
		return
	}
	select {
	case bodyBuffers <- body[:0]:
	default:
	}
}

// errorBody is the JSON error shape. AWS names the text "message", except
// for AccessDeniedException, whose body uses "Message".
type errorBody struct {
	Type         string `json:"__type"`
	Message      string `json:"message,omitempty"`
	UpperMessage string `json:"Message,omitempty"`
}

// WriteError writes e as an AWS JSON 1.1 error reply.
func WriteError(w http.ResponseWriter, e *apierr.Error) {
	body := errorBody{Type: e.Code, Message: e.Message}
	if e.Code == apierr.AccessDenied {
		body = errorBody{Type: e.Code, UpperMessage: e.Message}
	}
	encoded, _ := json.Marshal(body)

	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	w.WriteHeader(e.Status)
	_, _ = w.Write(encoded)
}
