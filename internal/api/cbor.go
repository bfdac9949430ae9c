package api

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"math/big"
	"net/http"
	"reflect"
	"strconv"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/google/uuid"

	"github.com/openacm/openacm/internal/acm"
	"github.com/openacm/openacm/internal/apierr"
)

// Smithy RPC v2 CBOR framing: POST /service/<Service>/operation/<Op>,
// CBOR bodies and a smithy-protocol header on every reply.
const (
	cborPathPattern     = "/service/ACMPrivateCA/operation/{operation}"
	cborContentType     = "application/cbor"
	smithyProtocol      = "rpc-v2-cbor"
	pcaErrorNamespace   = "com.amazonaws.acmpca#"
	cborMaxNestedLevels = 32
)

var (
	cborDecoder = mustDecMode(cbor.DecOptions{
		DefaultMapType:        reflect.TypeOf(map[string]any(nil)),
		MaxNestedLevels:       cborMaxNestedLevels,
		DupMapKey:             cbor.DupMapKeyEnforcedAPF,
		IndefLength:           cbor.IndefLengthAllowed,
		TimeTag:               cbor.DecTagOptional,
		DefaultByteStringType: reflect.TypeOf([]byte(nil)),
	})
	cborEncoder = mustEncMode(cbor.EncOptions{Time: cbor.TimeUnixDynamic, TimeTag: cbor.EncTagRequired})
)

func mustDecMode(options cbor.DecOptions) cbor.DecMode {
	mode, err := options.DecMode()
	if err != nil {
		panic(err)
	}
	return mode
}

func mustEncMode(options cbor.EncOptions) cbor.EncMode {
	mode, err := options.EncMode()
	if err != nil {
		panic(err)
	}
	return mode
}

// serveCBOR handles one acm-pca call in Smithy RPC v2 CBOR. The body is
// turned into the equivalent JSON document, so both protocols share one
// operation table, one input check and one decoder.
func (s *Server) serveCBOR(w http.ResponseWriter, r *http.Request) {
	started := time.Now()
	requestID := uuid.NewString()
	w.Header().Set("x-amzn-RequestId", requestID)

	operationName := r.PathValue("operation")
	event := requestEvent{id: requestID, target: pcaTargetPrefix + operationName, operation: operationName}
	result, err := s.callCBOR(r, operationName, &event)
	if err != nil && abandoned(r, err) {
		event.abandoned, event.cause = true, err
		event.errorCode, event.status = errorCodeClientClosedRequest, statusClientClosedRequest
	} else if err != nil {
		s.writeCBORError(w, err, &event)
	} else if err := writeCBORResult(w, result); err != nil {
		s.logger.Error("write response failed", "request_id", requestID, "error", err)
	}
	latency := time.Since(started)
	event.log(s.logger, latency)
	if s.metrics != nil {
		service, operation := requestLabels(event.target)
		s.metrics.ObserveRequest(service, operation, event.errorCode, latency)
	}
}

func (s *Server) callCBOR(r *http.Request, operationName string, event *requestEvent) (any, error) {
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	identity, err := s.verifier.Verify(r, body, signingName(pcaTargetPrefix))
	if err != nil {
		return nil, err
	}
	event.account = identity.Credential.Account
	event.accessKey = identity.Credential.AccessKeyID

	op, checker, ok := s.route(pcaTargetPrefix, operationName)
	if !ok {
		return nil, apierr.New(apierr.UnknownOperation, "The operation %s is not supported by this server.", operationName)
	}
	tree, err := decodeCBOR(body)
	if err != nil {
		return nil, err
	}
	if err := checker.CheckCBORTypes(operationName, tree); err != nil {
		return nil, err
	}
	jsonBody, err := treeToJSON(tree)
	if err != nil {
		return nil, err
	}
	if err := checker.CheckInput(operationName, jsonBody); err != nil {
		return nil, err
	}

	caller := acm.Caller{Account: identity.Credential.Account, Region: identity.Region}
	return op(r.Context(), caller, jsonBody, event)
}

// cborToJSON converts a CBOR request body to the JSON body AWS JSON 1.1
// would carry: byte strings become base64 strings and timestamps epoch
// seconds. An empty body is the empty object.
func cborToJSON(body []byte) ([]byte, error) {
	tree, err := decodeCBOR(body)
	if err != nil {
		return nil, err
	}
	return treeToJSON(tree)
}

// decodeCBOR decodes a CBOR request body, which must be one map. An empty
// body is the empty map.
func decodeCBOR(body []byte) (map[string]any, error) {
	if len(body) == 0 {
		return map[string]any{}, nil
	}
	var tree any
	if err := cborDecoder.Unmarshal(body, &tree); err != nil {
		return nil, apierr.New(apierr.Serialization, "The request body is not valid CBOR.")
	}
	object, isMap := tree.(map[string]any)
	if !isMap {
		return nil, apierr.New(apierr.Serialization, "The request body is not a CBOR map.")
	}
	return object, nil
}

// treeToJSON encodes a decoded CBOR body as JSON.
func treeToJSON(tree map[string]any) ([]byte, error) {
	converted, ok := jsonValue(tree)
	if !ok {
		return nil, apierr.New(apierr.Serialization, "The request body holds a CBOR value with no JSON equivalent.")
	}
	encoded, err := json.Marshal(converted)
	if err != nil {
		return nil, apierr.New(apierr.Serialization, "The request body holds a CBOR value with no JSON equivalent.")
	}
	return encoded, nil
}

// jsonValue converts one decoded CBOR value. It reports false for values
// JSON cannot carry, such as maps with non-text keys or NaN.
func jsonValue(value any) (any, bool) {
	switch v := value.(type) {
	case nil, bool, string:
		return v, true
	case []byte:
		return base64.StdEncoding.EncodeToString(v), true
	case uint64:
		return json.Number(strconv.FormatUint(v, 10)), true
	case int64:
		return json.Number(strconv.FormatInt(v, 10)), true
	case big.Int:
		return json.Number(v.String()), true
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, false
		}
		return v, true
	case float32:
		return jsonValue(float64(v))
	case time.Time:
		return float64(v.UnixMilli()) / 1000, true
	case []any:
		out := make([]any, len(v))
		for i, element := range v {
			converted, ok := jsonValue(element)
			if !ok {
				return nil, false
			}
			out[i] = converted
		}
		return out, true
	case map[string]any:
		out := make(map[string]any, len(v))
		for key, member := range v {
			converted, ok := jsonValue(member)
			if !ok {
				return nil, false
			}
			out[key] = converted
		}
		return out, true
	}
	return nil, false
}

func writeCBORResult(w http.ResponseWriter, result any) error {
	body, err := cborEncoder.Marshal(result)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", cborContentType)
	w.Header().Set("smithy-protocol", smithyProtocol)
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(body)
	return err
}

// writeCBORError renders err as an RPC v2 CBOR error: a map with the
// shape ID in "__type" and the text in "message".
func (s *Server) writeCBORError(w http.ResponseWriter, err error, event *requestEvent) {
	apiErr, ok := apierr.As(err)
	if !ok {
		event.cause = err
		apiErr = apierr.Internal()
	}
	event.errorCode = apiErr.Code
	event.status = apiErr.Status

	body, _ := cborEncoder.Marshal(map[string]string{
		"__type":  pcaErrorNamespace + apiErr.Code,
		"message": apiErr.Message,
	})
	w.Header().Set("Content-Type", cborContentType)
	w.Header().Set("smithy-protocol", smithyProtocol)
	w.Header().Set("X-Amzn-ErrorType", apiErr.Code)
	w.WriteHeader(apiErr.Status)
	_, _ = w.Write(body)
}
