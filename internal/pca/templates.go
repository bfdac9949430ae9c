package pca

import (
	"crypto/x509"
	"strings"
)

// certTemplate is the key usage, basic constraints and passthrough rules of
// one acm-pca certificate template.
type certTemplate struct {
	name        string
	isCA        bool
	selfSigned  bool
	pathLen     int // -1: no pathLenConstraint
	keyUsage    x509.KeyUsage
	extKeyUsage []x509.ExtKeyUsage
	// apiPassthrough honours ApiPassthrough subject and extensions;
	// csrPassthrough copies extensions from the CSR.
	apiPassthrough bool
	csrPassthrough bool
}

const (
	templateArnPrefix      = "arn:aws:acm-pca:::template/"
	defaultTemplateName    = "EndEntityCertificate"
	rootTemplateName       = "RootCACertificate"
	caKeyUsage             = x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	endEntityKeyUsage      = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
	signatureOnlyKeyUsage  = x509.KeyUsageDigitalSignature
	subordinateTemplateTag = "SubordinateCACertificate_PathLen"
)

// baseTemplates are the V1 templates without a passthrough suffix.
var baseTemplates = map[string]certTemplate{
	"EndEntityCertificate": {pathLen: -1, keyUsage: endEntityKeyUsage,
		extKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}},
	"EndEntityServerAuthCertificate": {pathLen: -1, keyUsage: endEntityKeyUsage,
		extKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}},
	"EndEntityClientAuthCertificate": {pathLen: -1, keyUsage: signatureOnlyKeyUsage,
		extKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
	"CodeSigningCertificate": {pathLen: -1, keyUsage: signatureOnlyKeyUsage,
		extKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}},
	"OCSPSigningCertificate": {pathLen: -1, keyUsage: signatureOnlyKeyUsage,
		extKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}},
	rootTemplateName:             {isCA: true, selfSigned: true, pathLen: -1, keyUsage: caKeyUsage},
	subordinateTemplateTag + "0": {isCA: true, pathLen: 0, keyUsage: caKeyUsage},
	subordinateTemplateTag + "1": {isCA: true, pathLen: 1, keyUsage: caKeyUsage},
	subordinateTemplateTag + "2": {isCA: true, pathLen: 2, keyUsage: caKeyUsage},
	subordinateTemplateTag + "3": {isCA: true, pathLen: 3, keyUsage: caKeyUsage},
}

// lookupTemplate resolves a template ARN such as
// "arn:aws:acm-pca:::template/EndEntityCertificate_APIPassthrough/V1".
// An empty ARN is EndEntityCertificate/V1, AWS's default.
func lookupTemplate(arn string) (certTemplate, error) {
	if arn == "" {
		arn = templateArnPrefix + defaultTemplateName + "/V1"
	}
	path, ok := strings.CutPrefix(arn, templateArnPrefix)
	name, version, found := strings.Cut(path, "/")
	if !ok || !found || version != "V1" {
		return certTemplate{}, invalidArgs("The template %s is not supported by this server.", arn)
	}

	base, suffix := name, ""
	for _, candidate := range []string{"_APICSRPassthrough", "_APIPassthrough", "_CSRPassthrough"} {
		if trimmed, cut := strings.CutSuffix(name, candidate); cut {
			base, suffix = trimmed, candidate
			break
		}
	}

	template, ok := baseTemplates[base]
	if !ok || (base == rootTemplateName && suffix != "" && suffix != "_APIPassthrough") {
		// TODO: the Blank*, BlankRoot* and BlankSubordinate* templates.
		return certTemplate{}, invalidArgs("The template %s is not supported by this server.", arn)
	}
	template.name = name + "/V1"
	template.apiPassthrough = suffix == "_APIPassthrough" || suffix == "_APICSRPassthrough"
	template.csrPassthrough = suffix == "_CSRPassthrough" || suffix == "_APICSRPassthrough"
	return template, nil
}
