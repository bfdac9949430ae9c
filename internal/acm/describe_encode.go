package acm

import "time"

// MarshalJSON writes the output as encoding/json would write the struct,
// byte for byte, without reflection.
func (o DescribeCertificateOutput) MarshalJSON() ([]byte, error) {
	return o.AppendJSON(make([]byte, 0, 1024)), nil
}

// AppendJSON appends the bytes of MarshalJSON to b. The server writes each
// DescribeCertificate reply through it into a reused buffer, because
// writing the reply with reflection took 8 % of the server's CPU time in
// the describe benchmark.
func (o DescribeCertificateOutput) AppendJSON(b []byte) []byte {
	b = append(b, `{"Certificate":`...)
	b = o.Certificate.appendJSON(b)
	return append(b, '}')
}

// appendJSON appends the detail as encoding/json writes CertificateDetail.
func (d *CertificateDetail) appendJSON(b []byte) []byte {
	b = append(b, `{"CertificateArn":`...)
	b = appendJSONString(b, d.CertificateArn)
	b = append(b, `,"DomainName":`...)
	b = appendJSONString(b, d.DomainName)
	if len(d.SubjectAlternativeNames) > 0 {
		b = append(b, `,"SubjectAlternativeNames":`...)
		b = appendJSONStrings(b, d.SubjectAlternativeNames)
	}
	b = appendOptionalString(b, `,"ManagedBy":`, d.ManagedBy)
	if len(d.DomainValidationOptions) > 0 {
		b = append(b, `,"DomainValidationOptions":`...)
		b = appendDomainValidations(b, d.DomainValidationOptions)
	}
	b = appendOptionalString(b, `,"Serial":`, d.Serial)
	b = appendOptionalString(b, `,"Subject":`, d.Subject)
	b = appendOptionalString(b, `,"Issuer":`, d.Issuer)
	b = appendOptionalTime(b, `,"CreatedAt":`, d.CreatedAt)
	b = appendOptionalTime(b, `,"IssuedAt":`, d.IssuedAt)
	b = appendOptionalTime(b, `,"ImportedAt":`, d.ImportedAt)
	b = append(b, `,"Status":`...)
	b = appendJSONString(b, d.Status)
	b = appendOptionalTime(b, `,"RevokedAt":`, d.RevokedAt)
	b = appendOptionalString(b, `,"RevocationReason":`, d.RevocationReason)
	b = appendOptionalTime(b, `,"NotBefore":`, d.NotBefore)
	b = appendOptionalTime(b, `,"NotAfter":`, d.NotAfter)
	b = appendOptionalString(b, `,"KeyAlgorithm":`, d.KeyAlgorithm)
	b = appendOptionalString(b, `,"SignatureAlgorithm":`, d.SignatureAlgorithm)
	b = append(b, `,"InUseBy":`...)
	b = appendJSONStrings(b, d.InUseBy)
	b = appendOptionalString(b, `,"FailureReason":`, d.FailureReason)
	b = append(b, `,"Type":`...)
	b = appendJSONString(b, d.Type)

	b = append(b, `,"KeyUsages":`...)
	if d.KeyUsages == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, usage := range d.KeyUsages {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"Name":`...)
			b = appendJSONString(b, usage.Name)
			b = append(b, '}')
		}
		b = append(b, ']')
	}

	b = append(b, `,"ExtendedKeyUsages":`...)
	if d.ExtendedKeyUsages == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, usage := range d.ExtendedKeyUsages {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"Name":`...)
			b = appendJSONString(b, usage.Name)
			b = appendOptionalString(b, `,"OID":`, usage.OID)
			b = append(b, '}')
		}
		b = append(b, ']')
	}

	b = appendOptionalString(b, `,"CertificateAuthorityArn":`, d.CertificateAuthorityArn)
	b = appendOptionalString(b, `,"RenewalEligibility":`, d.RenewalEligibility)
	if d.RenewalSummary != nil {
		b = append(b, `,"RenewalSummary":`...)
		b = d.RenewalSummary.appendJSON(b)
	}
	if d.Options != nil {
		b = append(b, `,"Options":`...)
		b = d.Options.appendJSON(b)
	}
	return append(b, '}')
}

// appendJSON appends the summary as encoding/json writes RenewalSummary.
func (r *RenewalSummary) appendJSON(b []byte) []byte {
	b = append(b, `{"RenewalStatus":`...)
	b = appendJSONString(b, r.RenewalStatus)
	b = append(b, `,"DomainValidationOptions":`...)
	b = appendDomainValidations(b, r.DomainValidationOptions)
	b = appendOptionalString(b, `,"RenewalStatusReason":`, r.RenewalStatusReason)
	b = append(b, `,"UpdatedAt":`...)
	if r.UpdatedAt == nil {
		b = append(b, "null"...)
	} else {
		b = appendEpochSeconds(b, time.Time(*r.UpdatedAt))
	}
	return append(b, '}')
}

// appendJSON appends the options as encoding/json writes CertificateOptions.
// Both members are optional, so the first one written has no comma.
func (o *CertificateOptions) appendJSON(b []byte) []byte {
	b = append(b, '{')
	if o.CertificateTransparencyLoggingPreference != "" {
		b = append(b, `"CertificateTransparencyLoggingPreference":`...)
		b = appendJSONString(b, o.CertificateTransparencyLoggingPreference)
	}
	if o.Export != "" {
		if o.CertificateTransparencyLoggingPreference != "" {
			b = append(b, ',')
		}
		b = append(b, `"Export":`...)
		b = appendJSONString(b, o.Export)
	}
	return append(b, '}')
}

// appendDomainValidations appends validations as a JSON array, or null for nil.
func appendDomainValidations(b []byte, validations []DomainValidation) []byte {
	if validations == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i := range validations {
		if i > 0 {
			b = append(b, ',')
		}
		b = validations[i].appendJSON(b)
	}
	return append(b, ']')
}

// appendJSON appends the validation as encoding/json writes DomainValidation.
func (v *DomainValidation) appendJSON(b []byte) []byte {
	b = append(b, `{"DomainName":`...)
	b = appendJSONString(b, v.DomainName)
	if len(v.ValidationEmails) > 0 {
		b = append(b, `,"ValidationEmails":`...)
		b = appendJSONStrings(b, v.ValidationEmails)
	}
	b = appendOptionalString(b, `,"ValidationDomain":`, v.ValidationDomain)
	b = appendOptionalString(b, `,"ValidationStatus":`, v.ValidationStatus)
	if v.ResourceRecord != nil {
		b = append(b, `,"ResourceRecord":{"Name":`...)
		b = appendJSONString(b, v.ResourceRecord.Name)
		b = append(b, `,"Type":`...)
		b = appendJSONString(b, v.ResourceRecord.Type)
		b = append(b, `,"Value":`...)
		b = appendJSONString(b, v.ResourceRecord.Value)
		b = append(b, '}')
	}
	if v.HttpRedirect != nil {
		b = append(b, `,"HttpRedirect":{`...)
		if v.HttpRedirect.RedirectFrom != "" {
			b = append(b, `"RedirectFrom":`...)
			b = appendJSONString(b, v.HttpRedirect.RedirectFrom)
		}
		if v.HttpRedirect.RedirectTo != "" {
			if v.HttpRedirect.RedirectFrom != "" {
				b = append(b, ',')
			}
			b = append(b, `"RedirectTo":`...)
			b = appendJSONString(b, v.HttpRedirect.RedirectTo)
		}
		b = append(b, '}')
	}
	b = appendOptionalString(b, `,"ValidationMethod":`, v.ValidationMethod)
	return append(b, '}')
}

// appendOptionalString appends the member name and s unless s is empty,
// as encoding/json does for an omitempty string.
func appendOptionalString(b []byte, name, s string) []byte {
	if s == "" {
		return b
	}
	b = append(b, name...)
	return appendJSONString(b, s)
}

// appendOptionalTime appends the member name and t unless t is nil, as
// encoding/json does for an omitempty *Timestamp.
func appendOptionalTime(b []byte, name string, t *Timestamp) []byte {
	if t == nil {
		return b
	}
	b = append(b, name...)
	return appendEpochSeconds(b, time.Time(*t))
}
