// Package awsjson frames the AWS JSON 1.1 protocol: it decodes request
// bodies into operation inputs and writes results and errors the way AWS
// services do. It contains no operation, because the api package routes them.
package awsjson

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"

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

var bodyPool = sync.Pool{New: func() any { return new([]byte) }}

// WriteResult writes a 200 reply whose body is v as JSON.
func WriteResult(w http.ResponseWriter, v any) error {
	var body []byte
	if appender, ok := v.(Appender); ok {
		buffer := bodyPool.Get().(*[]byte)
		body = appender.AppendJSON((*buffer)[:0])
		defer func() {
			if cap(body) <= maxPooledBody {
				*buffer = body[:0]
				bodyPool.Put(buffer)
			}
		}()
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
