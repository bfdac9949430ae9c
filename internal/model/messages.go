package model

// SerializationException messages, modeled on the AWS Coral JSON front end,
// which names the JSON token (STRING_VALUE, NUMBER_VALUE) and the Java target
// type. Tests pin every text.
//
// NOTE: no text here has been compared with a live AWS response. The two
// "found where not expected" texts and the "can not be converted to" form
// follow Coral messages as commonly reported. The rest are written in the
// same style and may differ from AWS's wording.
const (
	msgUnexpectedObject = "Start of structure or map found where not expected."
	msgUnexpectedList   = "Start of list found where not expected"

	// msgCannotConvert takes a JSON token name and a target type with article.
	msgCannotConvert = "%s can not be converted to %s"
	// msgFraction and msgOutOfRange take a target type with article.
	msgFraction   = "NUMBER_VALUE has a fraction and can not be converted to %s"
	msgOutOfRange = "NUMBER_VALUE is out of range and can not be converted to %s"

	msgBadBase64    = "STRING_VALUE is not valid base64 and can not be converted to a Blob"
	msgBadTimestamp = "STRING_VALUE is not an ISO 8601 date-time and can not be converted to a Timestamp"

	msgMalformedJSON = "The request body is not valid JSON."
	msgTrailingData  = "Unexpected content after the JSON object in the request body."
	msgTooDeep       = "The request body nests JSON deeper than 64 levels."
)

// maxDepth is the deepest nesting of JSON objects and arrays a body may have.
// Non-recursive inputs nest at most 6 levels in ACM and 9 in acm-pca. Only
// the recursive SearchCertificates filter can go deeper. The bound keeps a
// hostile body from costing unbounded memory and recursion.
const maxDepth = 64

// Target type names for msgCannotConvert, as the Java types read.
var targetNames = [...]string{
	kindStructure: "a Structure",
	kindList:      "a List",
	kindMap:       "a Map",
	kindString:    "a String",
	kindInteger:   "an Integer",
	kindLong:      "a Long",
	kindFloat:     "a Float",
	kindDouble:    "a Double",
	kindBoolean:   "a Boolean",
	kindTimestamp: "a Timestamp",
	kindBlob:      "a Blob",
}

// Validation clause texts that do not depend on a shape.
const (
	clauseNotNull         = "Member must not be null"
	clauseElementsPrefix  = "Member must satisfy constraint: ["
	clauseMapKeysPrefix   = "Map keys must satisfy constraint: ["
	clauseMapValuesPrefix = "Map value must satisfy constraint: ["
)
