package api

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	sdkacm "github.com/aws/aws-sdk-go-v2/service/acm"

	"github.com/openacm/openacm/internal/acm"
	"github.com/openacm/openacm/internal/model"
)

// sdkOperations returns the operations of the aws-sdk-go-v2 ACM client: its
// methods whose second parameter is a pointer to an <Operation>Input.
func sdkOperations() []string {
	var ops []string
	client := reflect.TypeFor[*sdkacm.Client]()
	for method := range client.Methods() {
		if method.Type.NumIn() < 3 {
			continue
		}
		input := method.Type.In(2)
		if input.Kind() == reflect.Pointer && input.Elem().Name() == method.Name+"Input" {
			ops = append(ops, method.Name)
		}
	}
	return ops
}

func TestEverySDKOperationIsAccountedFor(t *testing.T) {
	table := acmOperations(&acm.Service{})
	ops := sdkOperations()
	if len(ops) < 21 {
		t.Fatalf("found %d SDK operations, want at least 21; is the reflection wrong?", len(ops))
	}

	for _, op := range ops {
		if strings.Contains(op, "Acme") {
			continue
		}
		_, built := table[op]
		unbuilt := slices.Contains(unbuiltACMOperations, op)
		if built == unbuilt {
			t.Errorf("operation %s: in the table %v, in unbuiltACMOperations %v; want exactly one", op, built, unbuilt)
		}
		if !model.ACM().HasOperation(op) {
			t.Errorf("operation %s is missing from the ACM model and its supplement", op)
		}
	}

	for op := range table {
		if !slices.Contains(ops, op) {
			t.Errorf("table operation %s is not an SDK operation", op)
		}
	}
}
