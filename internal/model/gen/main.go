// Command gen trims the botocore service models of ACM and acm-pca down to
// the input contract that package model checks requests against.
//
// It reads data/acm/2015-12-08/service-2.json.gz and
// data/acm-pca/2017-08-22/service-2.json.gz under the botocore package
// directory and writes acm.json and acmpca.json. The output keeps, for every
// operation, its input shape, and for every shape reachable from an input
// only its type, members in model order, required members, element shapes
// and the min, max, pattern and enum constraints. Documentation, output and
// error shapes are dropped.
//
// Usage, from the repository root:
//
//	go run ./internal/model/gen [-botocore DIR] [-out internal/model]
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// serviceModel names one botocore model and the trimmed file made from it.
type serviceModel struct {
	source string
	output string
}

var serviceModels = []serviceModel{
	{source: "data/acm/2015-12-08/service-2.json.gz", output: "acm.json"},
	{source: "data/acm-pca/2017-08-22/service-2.json.gz", output: "acmpca.json"},
}

func main() {
	botocoreDir := flag.String("botocore", "", "botocore package directory (default: asked from python3)")
	outDir := flag.String("out", "internal/model", "directory that receives acm.json and acmpca.json")
	flag.Parse()

	if err := run(*botocoreDir, *outDir); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(botocoreDir, outDir string) error {
	if botocoreDir == "" {
		dir, err := findBotocore()
		if err != nil {
			return err
		}
		botocoreDir = dir
	}

	for _, sm := range serviceModels {
		if err := convert(filepath.Join(botocoreDir, sm.source), filepath.Join(outDir, sm.output)); err != nil {
			return err
		}
	}
	return nil
}

// findBotocore runs python3 to print the directory of its botocore package.
func findBotocore() (string, error) {
	cmd := exec.Command("python3", "-c", "import botocore,os;print(os.path.dirname(botocore.__file__))")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("find botocore with python3 (pass -botocore DIR instead): %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

func convert(sourcePath, outputPath string) error {
	full, err := readModel(sourcePath)
	if err != nil {
		return err
	}

	trimmed, err := trim(full)
	if err != nil {
		return fmt.Errorf("trim %s: %w", sourcePath, err)
	}

	// Patterns contain '&' and '<', so HTML escaping would only obscure them.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(trimmed); err != nil {
		return fmt.Errorf("encode %s: %w", outputPath, err)
	}
	if err := os.WriteFile(outputPath, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write trimmed model: %w", err)
	}
	return nil
}

func readModel(path string) (*botocoreModel, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open botocore model: %w", err)
	}
	defer f.Close()

	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("read model %s: %w", path, err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("read model %s: %w", path, err)
	}

	var m botocoreModel
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("decode model %s: %w", path, err)
	}
	return &m, nil
}
