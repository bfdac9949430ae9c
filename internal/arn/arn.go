// Package arn formats and parses the Amazon Resource Names of ACM certificates.
package arn

import (
	"fmt"
	"strings"
)

// Certificate returns the ARN of the ACM certificate id in account and region.
func Certificate(region, account, id string) string {
	return fmt.Sprintf("arn:aws:acm:%s:%s:certificate/%s", region, account, id)
}

// Parts are the fields of an ARN: arn:partition:service:region:account:resource.
type Parts struct {
	Partition string
	Service   string
	Region    string
	Account   string
	Resource  string
}

// Parse splits an ARN into its fields. It checks only the shape, not whether
// each field names something that exists.
func Parse(s string) (Parts, error) {
	fields := strings.SplitN(s, ":", 6)
	if len(fields) != 6 || fields[0] != "arn" {
		return Parts{}, fmt.Errorf("invalid ARN %q: want arn:partition:service:region:account:resource", s)
	}
	return Parts{
		Partition: fields[1],
		Service:   fields[2],
		Region:    fields[3],
		Account:   fields[4],
		Resource:  fields[5],
	}, nil
}
