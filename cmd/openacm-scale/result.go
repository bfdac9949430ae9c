package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// result is the measurements of one count.
type result struct {
	Certificates       int     `json:"certificates"`
	Commit             string  `json:"commit"`
	Date               string  `json:"date"`
	LoadSeconds        float64 `json:"load_seconds"`
	LoadPerSecond      float64 `json:"load_per_second"`
	BytesAfterLoad     int64   `json:"bytes_after_load"`
	BytesAfterServer   int64   `json:"bytes_after_server"`
	StartToReadyMillis float64 `json:"start_to_ready_ms"`
	// IdleWaitSeconds is the time from ready until the server went idle
	// and the measurements began.
	IdleWaitSeconds    float64 `json:"idle_wait_seconds"`
	IdleRSSBytes       int64   `json:"idle_rss_bytes"`
	RSSAfterCallsBytes int64   `json:"rss_after_calls_bytes"`
	PeakRSSBytes       int64   `json:"peak_rss_bytes"`
	ListWalk1000       latency `json:"list_walk_1000"`
	// ListWalk1000Server is the same walk as the server logged it.
	ListWalk1000Server latency `json:"list_walk_1000_server"`
	ListOffsets1000    latency `json:"list_offsets_1000"`
	ListDefault        latency `json:"list_default"`
	SearchCommonName   latency `json:"search_common_name"`
	SearchContains     latency `json:"search_common_name_contains"`
}

// bytesPerCertificate is the database size after the load, SQLite file and
// WAL, divided by the number of certificates.
func (r result) bytesPerCertificate() float64 {
	return float64(r.BytesAfterLoad) / float64(r.Certificates)
}

func (r result) print(w io.Writer) {
	fmt.Fprintf(w, "certificates %d: load %.1f s (%.0f/s), %.2f KB per certificate, start to ready %.0f ms\n",
		r.Certificates, r.LoadSeconds, r.LoadPerSecond, r.bytesPerCertificate()/1024, r.StartToReadyMillis)
	fmt.Fprintf(w, "  idle RSS %.1f MB, after calls %.1f MB, peak %.1f MB\n",
		mb(r.IdleRSSBytes), mb(r.RSSAfterCallsBytes), mb(r.PeakRSSBytes))
	for _, row := range []struct {
		name string
		l    latency
	}{
		{"ListCertificates walk, MaxItems 1000", r.ListWalk1000},
		{"  the same walk, server's own time", r.ListWalk1000Server},
		{"ListCertificates at offsets, MaxItems 1000", r.ListOffsets1000},
		{"ListCertificates, default MaxItems", r.ListDefault},
		{"SearchCertificates common name EQUALS", r.SearchCommonName},
		{"SearchCertificates common name CONTAINS", r.SearchContains},
	} {
		fmt.Fprintf(w, "  %-44s %5d calls  p50 %7.2f ms  p99 %7.2f ms  max %7.2f ms\n", row.name, row.l.Calls, row.l.P50, row.l.P99, row.l.Max)
	}
}

func mb(bytes int64) float64 { return float64(bytes) / (1024 * 1024) }

// readJSON reads the results that appendJSON wrote to path.
func readJSON(path string) ([]result, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	var results []result
	for i, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		var r result
		if err := json.Unmarshal(line, &r); err != nil {
			return nil, fmt.Errorf("read results: line %d of %s: %w", i+1, path, err)
		}
		results = append(results, r)
	}
	return results, nil
}

func appendJSON(path string, r result) error {
	line, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode results: %w", err)
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("open -json file: %w", err)
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("write -json file: %w", err)
	}
	return f.Close()
}
