package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
)

// writePage writes the Markdown page of results, one column per count,
// and keeps the hand-written analysis of the page it replaces.
func writePage(path string, results []result) error {
	var b strings.Builder
	b.WriteString("# Scale\n\n")
	b.WriteString("Written by `openacm-scale` (cmd/openacm-scale). One account and region hold N issued public\n")
	b.WriteString("certificates, written straight into a fresh SQLite data dir through the store package; then the built\n")
	b.WriteString("`openacm` binary serves that data dir on a loopback port and aws-sdk-go-v2 calls it.\n\n")
	fmt.Fprintf(&b, "- Dates: %s\n", strings.Join(distinct(results, func(r result) string { return r.Date }), ", "))
	fmt.Fprintf(&b, "- Commits measured: %s\n", strings.Join(distinct(results, func(r result) string { return r.Commit }), ", "))
	fmt.Fprintf(&b, "- Machine: %s, %d cores (%s/%s), %s\n\n", cpuModel(), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, memTotal())

	b.WriteString("| measure |")
	for _, r := range results {
		fmt.Fprintf(&b, " %d |", r.Certificates)
	}
	b.WriteString("\n|---|")
	for range results {
		b.WriteString("---|")
	}
	b.WriteString("\n")

	row := func(name string, value func(result) string) {
		b.WriteString("| " + name + " |")
		for _, r := range results {
			b.WriteString(" " + value(r) + " |")
		}
		b.WriteString("\n")
	}
	ms := func(v float64) string { return fmt.Sprintf("%.2f ms", v) }
	row("commit measured", func(r result) string { return r.Commit })
	row("load rate (certificates per second)", func(r result) string { return fmt.Sprintf("%.0f", r.LoadPerSecond) })
	row("load time", func(r result) string { return fmt.Sprintf("%.1f s", r.LoadSeconds) })
	row("database per certificate (file and WAL after load)", func(r result) string {
		return fmt.Sprintf("%.2f KB", r.bytesPerCertificate()/1024)
	})
	row("database size after the server run", func(r result) string { return fmt.Sprintf("%.1f MB", mb(r.BytesAfterServer)) })
	row("start to ready", func(r result) string { return ms(r.StartToReadyMillis) })
	row("wait after ready until the server was idle", func(r result) string {
		if r.IdleWaitSeconds == 0 {
			return "-"
		}
		return fmt.Sprintf("%.1f s", r.IdleWaitSeconds)
	})
	row("idle RSS after start", func(r result) string { return fmt.Sprintf("%.1f MB", mb(r.IdleRSSBytes)) })
	row("idle RSS after the calls below", func(r result) string { return fmt.Sprintf("%.1f MB", mb(r.RSSAfterCallsBytes)) })
	row("peak RSS (VmHWM)", func(r result) string { return fmt.Sprintf("%.1f MB", mb(r.PeakRSSBytes)) })
	for _, series := range []struct {
		name string
		get  func(result) latency
	}{
		{"ListCertificates, every page of 1000", func(r result) latency { return r.ListWalk1000 }},
		{"ListCertificates, every page of 1000, server's own time", func(r result) latency { return r.ListWalk1000Server }},
		{"ListCertificates, pages of 1000 at 0/25/50/75/99 %", func(r result) latency { return r.ListOffsets1000 }},
		{"ListCertificates, default page size", func(r result) latency { return r.ListDefault }},
		{"SearchCertificates, common name EQUALS", func(r result) latency { return r.SearchCommonName }},
		{"SearchCertificates, common name CONTAINS", func(r result) latency { return r.SearchContains }},
	} {
		row(series.name+" p50", func(r result) string { return latencyMS(series.get(r), series.get(r).P50) })
		row(series.name+" p99", func(r result) string { return latencyMS(series.get(r), series.get(r).P99) })
	}

	b.WriteString("\n" + analysisMarker + "\n")
	if old, err := os.ReadFile(path); err == nil {
		if _, analysis, found := strings.Cut(string(old), analysisMarker+"\n"); found {
			b.WriteString(analysis)
		}
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// latencyMS formats v, a percentile of l, or a dash when l has no calls,
// as in results saved before that measure existed.
func latencyMS(l latency, v float64) string {
	if l.Calls == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f ms", v)
}

// distinct returns the distinct non-empty values of field in results, in order.
func distinct(results []result, field func(result) string) []string {
	var values []string
	for _, r := range results {
		if v := field(r); v != "" && !slices.Contains(values, v) {
			values = append(values, v)
		}
	}
	return values
}

// analysisMarker separates the generated tables from the hand-written
// analysis below them, which writePage keeps.
const analysisMarker = "<!-- analysis: written by hand, kept by openacm-scale -->"

func commit() string {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "model name" {
			return strings.TrimSpace(value)
		}
	}
	return "unknown CPU"
}

func memTotal() string {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "unknown memory"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if value, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(value), "kB")), &kb)
			return fmt.Sprintf("%.1f GB RAM", float64(kb)/(1024*1024))
		}
	}
	return "unknown memory"
}
