package model

import (
	"slices"

	"github.com/openacm/openacm/internal/apierr"
)

// msgCBORByteString takes a target type with article. A CBOR byte string
// has no JSON token, so the token name is made up in the JSON front end's
// style.
//
// NOTE: AWS's text for this case over Smithy RPC v2 CBOR is unknown.
const msgCBORByteString = "BLOB_VALUE can not be converted to %s"

// CheckCBORTypes checks the text and byte strings of a decoded Smithy RPC
// v2 CBOR body against the input shape of op. CBOR carries blobs as byte
// strings and strings as text strings, a distinction that is lost once the
// body becomes JSON, where a blob is a base64 text. It returns a
// SerializationException for the first member, in model order, that
// confuses the two, and nil otherwise. It stops without an error at the
// first other type mismatch, which CheckInput reports on the converted body.
//
// doc is the decoded body: maps are map[string]any, arrays []any, byte
// strings []byte and text strings string.
func (s *Service) CheckCBORTypes(op string, doc any) error {
	input, ok := s.inputs[op]
	if !ok {
		return nil
	}
	if err, _ := checkCBORValue(input, doc); err != nil {
		return err
	}
	return nil
}

// checkCBORValue checks v against s. It returns stop true at the first
// type mismatch, with an error only when the mismatch is a text string
// for a blob or a byte string for anything else.
func checkCBORValue(s *shape, v any) (*apierr.Error, bool) {
	if _, isBytes := v.([]byte); isBytes && s.kind != kindBlob {
		return apierr.New(apierr.Serialization, msgCBORByteString, targetNames[s.kind]), true
	}

	switch s.kind {
	case kindStructure:
		object, ok := v.(map[string]any)
		if !ok {
			return nil, true
		}
		for i := range s.members {
			if value := object[s.members[i].name]; value != nil {
				if err, stop := checkCBORValue(s.members[i].shape, value); stop {
					return err, true
				}
			}
		}
	case kindList:
		elements, ok := v.([]any)
		if !ok {
			return nil, true
		}
		for _, element := range elements {
			if element != nil {
				if err, stop := checkCBORValue(s.element, element); stop {
					return err, true
				}
			}
		}
	case kindMap:
		return checkCBORMap(s, v)
	case kindBlob:
		if _, isText := v.(string); isText {
			return apierr.New(apierr.Serialization, msgCannotConvert, "STRING_VALUE", targetNames[kindBlob]), true
		}
	}
	return nil, false
}

// checkCBORMap checks the values of a map in key order, as CheckInput does.
func checkCBORMap(s *shape, v any) (*apierr.Error, bool) {
	object, ok := v.(map[string]any)
	if !ok {
		return nil, true
	}
	keys := make([]string, 0, len(object))
	for key := range object {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	for _, key := range keys {
		if value := object[key]; value != nil {
			if err, stop := checkCBORValue(s.value, value); stop {
				return err, true
			}
		}
	}
	return nil, false
}
