package acm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/openacm/openacm/internal/apierr"
	"github.com/openacm/openacm/internal/store"
)

const defaultMaxItems = 1000

// defaultListKeyTypes are the key algorithms ListCertificates returns when
// the request names none, as ACM does.
var defaultListKeyTypes = []string{"RSA_1024", "RSA_2048"}

// typesByKeyPairOrigin maps each CertificateKeyPairOrigin to the
// certificate types whose keys come from there. ACME has none here.
var typesByKeyPairOrigin = map[string][]string{
	"AWS_MANAGED":       {TypeAmazonIssued, TypePrivate},
	"CUSTOMER_PROVIDED": {TypeImported},
}

// ListCertificates returns one page of the caller's certificates.
func (s *Service) ListCertificates(ctx context.Context, caller Caller, in *ListCertificatesInput) (*ListCertificatesOutput, error) {
	query, err := listQuery(caller, in)
	if err != nil {
		return nil, err
	}

	// OpenACM issues no certificates under the Amazon N2 root hierarchies,
	// so a request that lists only those finds nothing.
	if len(in.RootHierarchyTypes) > 0 {
		return &ListCertificatesOutput{CertificateSummaryList: []CertificateSummary{}}, nil
	}

	if s.listAhead == nil {
		return s.listPage(ctx, query, in.NextToken)
	}
	s.listAhead.lists.Add(1)
	defer s.listAhead.lists.Add(-1)

	out, ok := s.listAhead.take(ctx, s.store, query)
	if !ok {
		out, err = s.listPage(ctx, query, in.NextToken)
		if err != nil {
			return nil, err
		}
	}

	if out.NextToken != "" {
		following := query
		following.After = out.NextToken
		s.listAhead.start(s.store, following, s.renderedPage)
	}
	return out, nil
}

// listPage reads one page from the store. token is the NextToken of the
// request, for the error message of a bad one.
func (s *Service) listPage(ctx context.Context, query store.ListQuery, token string) (*ListCertificatesOutput, error) {
	certs, next, err := s.store.ListCertificates(ctx, query)
	if errors.Is(err, store.ErrBadCursor) {
		return nil, apierr.New(apierr.InvalidArgs, "The NextToken %q is invalid.", token)
	}
	if err != nil {
		return nil, fmt.Errorf("list certificates: %w", err)
	}

	return &ListCertificatesOutput{NextToken: next, CertificateSummaryList: certificateSummaries(certs)}, nil
}

// renderedPage is listPage for a read-ahead, with the page's JSON written
// in advance, so serving it only copies the bytes.
func (s *Service) renderedPage(ctx context.Context, query store.ListQuery) (*ListCertificatesOutput, error) {
	out, err := s.listPage(ctx, query, query.After)
	if err != nil {
		return nil, err
	}
	out.encoded = out.AppendJSON(make([]byte, 0, out.JSONSizeHint()))
	return out, nil
}

// certificateSummaries renders a page of stored certificates. The times
// of every summary share one allocation, and so do the extended key usage
// names.
func certificateSummaries(certs []*store.Certificate) []CertificateSummary {
	summaries := make([]CertificateSummary, len(certs))
	times := make([]Timestamp, summaryTimes*len(certs))
	usages := 0
	for _, cert := range certs {
		usages += len(cert.ExtendedKeyUsages)
	}
	names := make([]string, 0, usages)
	for i, cert := range certs {
		summaries[i] = certificateSummary(cert, times[i*summaryTimes:(i+1)*summaryTimes], &names)
	}
	return summaries
}

// listQuery turns the request's filters into a store query.
func listQuery(caller Caller, in *ListCertificatesInput) (store.ListQuery, error) {
	if (in.SortBy == "") != (in.SortOrder == "") {
		return store.ListQuery{}, apierr.New(apierr.Validation,
			"SortBy and SortOrder must be specified together.")
	}

	query := store.ListQuery{
		Account:       caller.Account,
		Region:        caller.Region,
		Statuses:      in.CertificateStatuses,
		KeyAlgorithms: defaultListKeyTypes,
		Order:         store.Ascending,
		Limit:         defaultMaxItems,
		After:         in.NextToken,
	}
	if in.SortOrder == string(store.Descending) {
		query.Order = store.Descending
	}
	if in.MaxItems != nil {
		query.Limit = *in.MaxItems
	}
	for _, origin := range in.CertificateKeyPairOrigins {
		query.Types = append(query.Types, typesByKeyPairOrigin[origin]...)
	}
	if len(in.CertificateKeyPairOrigins) > 0 && len(query.Types) == 0 {
		// Only ACME was asked for, and OpenACM has no ACME certificates.
		query.Types = []string{"ACME"}
	}
	if in.Includes != nil {
		if len(in.Includes.KeyTypes) > 0 {
			query.KeyAlgorithms = in.Includes.KeyTypes
		}
		query.KeyUsages = withoutAny(in.Includes.KeyUsage)
		query.ExtendedKeyUsages = withoutAny(in.Includes.ExtendedKeyUsage)
		query.ExportOption = in.Includes.ExportOption
		query.ManagedBy = in.Includes.ManagedBy
	}
	return query, nil
}

// withoutAny drops the filter when it lists ANY, which matches every certificate.
func withoutAny(names []string) []string {
	for _, name := range names {
		if name == "ANY" {
			return nil
		}
	}
	return names
}

// summaryTimes is the number of times in a CertificateSummary.
const summaryTimes = 6

// certificateSummary renders a stored certificate as ListCertificates shows
// it. Its times point into times, which has room for summaryTimes, and its
// extended key usage names are appended to names.
func certificateSummary(cert *store.Certificate, times []Timestamp, names *[]string) CertificateSummary {
	timestamp := func(i int, t time.Time) *Timestamp {
		if t.IsZero() {
			return nil
		}
		times[i] = Timestamp(t)
		return &times[i]
	}

	sans := cert.SubjectAlternativeNames
	hasMore := len(sans) > maxSANSummaries
	if hasMore {
		sans = sans[:maxSANSummaries]
	}

	summary := CertificateSummary{
		CertificateArn:                       cert.ARN,
		DomainName:                           cert.DomainName,
		SubjectAlternativeNameSummaries:      sans,
		HasAdditionalSubjectAlternativeNames: hasMore,
		Status:                               cert.Status,
		Type:                                 cert.Type,
		KeyAlgorithm:                         displayKeyAlgorithm(cert.KeyAlgorithm),
		KeyUsages:                            nonNil(cert.KeyUsages),
		ExtendedKeyUsages:                    []string{},
		ExportOption:                         cert.ExportOption,
		InUse:                                len(cert.InUseBy) > 0,
		Exported:                             cert.Exported,
		RenewalEligibility:                   cert.RenewalEligibility,
		NotBefore:                            timestamp(0, cert.NotBefore),
		NotAfter:                             timestamp(1, cert.NotAfter),
		CreatedAt:                            timestamp(2, cert.CreatedAt),
		IssuedAt:                             timestamp(3, cert.IssuedAt),
		ImportedAt:                           timestamp(4, cert.ImportedAt),
		RevokedAt:                            timestamp(5, cert.RevokedAt),
		ManagedBy:                            cert.ManagedBy,
	}
	if len(cert.ExtendedKeyUsages) > 0 {
		start := len(*names)
		for _, usage := range cert.ExtendedKeyUsages {
			*names = append(*names, usage.Name)
		}
		// The cap keeps an append to one summary's names out of the next.
		summary.ExtendedKeyUsages = (*names)[start:len(*names):len(*names)]
	}
	return summary
}

// MarshalJSON writes the page as encoding/json would write the struct, byte
// for byte, without reflection: encoding a page of 1000 summaries took a
// fifth of a ListCertificates call.
func (o ListCertificatesOutput) MarshalJSON() ([]byte, error) {
	return o.AppendJSON(make([]byte, 0, 64+len(o.CertificateSummaryList)*300)), nil
}

// summaryJSONSize is a little more than the JSON length of a summary with
// one name: an imported certificate for a 24-character name takes 613 bytes.
const summaryJSONSize = 700

// JSONSizeHint returns about how long the page's JSON is, so the server
// allocates its body buffer once.
func (o ListCertificatesOutput) JSONSizeHint() int {
	if o.encoded != nil {
		return len(o.encoded)
	}
	return 64 + len(o.NextToken) + summaryJSONSize*len(o.CertificateSummaryList)
}

// AppendJSON appends the bytes of MarshalJSON to b. The server writes a page
// through it into a reused buffer, and so skips the check and compaction
// that json.Marshal runs over the result of a MarshalJSON method.
func (o ListCertificatesOutput) AppendJSON(b []byte) []byte {
	if o.encoded != nil {
		return append(b, o.encoded...)
	}
	b = append(b, '{')
	if o.NextToken != "" {
		b = append(b, `"NextToken":`...)
		b = appendJSONString(b, o.NextToken)
		b = append(b, ',')
	}
	b = append(b, `"CertificateSummaryList":`...)
	if o.CertificateSummaryList == nil {
		return append(b, "null}"...)
	}
	b = append(b, '[')
	for i := range o.CertificateSummaryList {
		if i > 0 {
			b = append(b, ',')
		}
		b = o.CertificateSummaryList[i].appendJSON(b)
	}
	return append(b, "]}"...)
}

// appendJSON appends the summary as encoding/json writes CertificateSummary.
func (s *CertificateSummary) appendJSON(b []byte) []byte {
	b = append(b, `{"CertificateArn":`...)
	b = appendJSONString(b, s.CertificateArn)
	b = append(b, `,"DomainName":`...)
	b = appendJSONString(b, s.DomainName)
	if len(s.SubjectAlternativeNameSummaries) > 0 {
		b = append(b, `,"SubjectAlternativeNameSummaries":`...)
		b = appendJSONStrings(b, s.SubjectAlternativeNameSummaries)
	}
	b = append(b, `,"HasAdditionalSubjectAlternativeNames":`...)
	b = strconv.AppendBool(b, s.HasAdditionalSubjectAlternativeNames)
	b = append(b, `,"Status":`...)
	b = appendJSONString(b, s.Status)
	b = append(b, `,"Type":`...)
	b = appendJSONString(b, s.Type)
	b = append(b, `,"KeyAlgorithm":`...)
	b = appendJSONString(b, s.KeyAlgorithm)
	b = append(b, `,"KeyUsages":`...)
	b = appendJSONStrings(b, s.KeyUsages)
	b = append(b, `,"ExtendedKeyUsages":`...)
	b = appendJSONStrings(b, s.ExtendedKeyUsages)
	if s.ExportOption != "" {
		b = append(b, `,"ExportOption":`...)
		b = appendJSONString(b, s.ExportOption)
	}
	b = append(b, `,"InUse":`...)
	b = strconv.AppendBool(b, s.InUse)
	b = append(b, `,"Exported":`...)
	b = strconv.AppendBool(b, s.Exported)
	if s.RenewalEligibility != "" {
		b = append(b, `,"RenewalEligibility":`...)
		b = appendJSONString(b, s.RenewalEligibility)
	}
	for _, field := range []struct {
		name string
		time *Timestamp
	}{
		{`,"NotBefore":`, s.NotBefore}, {`,"NotAfter":`, s.NotAfter}, {`,"CreatedAt":`, s.CreatedAt},
		{`,"IssuedAt":`, s.IssuedAt}, {`,"ImportedAt":`, s.ImportedAt}, {`,"RevokedAt":`, s.RevokedAt},
	} {
		if field.time != nil {
			b = append(b, field.name...)
			b = appendEpochSeconds(b, time.Time(*field.time))
		}
	}
	if s.ManagedBy != "" {
		b = append(b, `,"ManagedBy":`...)
		b = appendJSONString(b, s.ManagedBy)
	}
	return append(b, '}')
}

// maxExactMillis bounds the times that appendEpochSeconds formats with
// integer arithmetic (about the year 33,658). Below it, float64 seconds are
// spaced far closer than a millisecond, so the digits match those of
// strconv.AppendFloat.
const maxExactMillis = 1_000_000_000_000_000

// appendEpochSeconds appends t as Timestamp.MarshalJSON writes it: Unix
// seconds with up to three decimals and no trailing zeros. It formats the
// milliseconds as integers, which took a quarter off the encoding time of
// a page in BenchmarkListPageEncode.
func appendEpochSeconds(b []byte, t time.Time) []byte {
	millis := t.UnixMilli()
	if millis <= -maxExactMillis || millis >= maxExactMillis {
		return strconv.AppendFloat(b, float64(millis)/1000, 'f', -1, 64)
	}

	if millis < 0 {
		b = append(b, '-')
		millis = -millis
	}
	b = strconv.AppendInt(b, millis/1000, 10)
	fraction := millis % 1000
	if fraction == 0 {
		return b
	}
	digits := [3]byte{byte('0' + fraction/100), byte('0' + fraction/10%10), byte('0' + fraction%10)}
	n := len(digits)
	for digits[n-1] == '0' {
		n--
	}
	b = append(b, '.')
	return append(b, digits[:n]...)
}

// appendJSONStrings appends values as a JSON array, or null for nil.
func appendJSONStrings(b []byte, values []string) []byte {
	if values == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, v := range values {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, v)
	}
	return append(b, ']')
}

// appendJSONString appends s as a JSON string. Text that encoding/json
// would escape (quotes, backslashes, control characters, <, >, &, and
// anything outside printable ASCII) goes through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			encoded, _ := json.Marshal(s)
			return append(b, encoded...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
