package pca

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/openacm/openacm/internal/apierr"
	"github.com/openacm/openacm/internal/store"
)

// ACMPrincipal is the service principal ACM acts as when it renews
// private certificates.
const ACMPrincipal = "acm.amazonaws.com"

// renewalActions are the actions ACM needs a permission for to renew.
var renewalActions = []string{"IssueCertificate", "GetCertificate", "ListPermissions"}

// resourcePolicy is the part of an IAM policy document OpenACM evaluates.
type resourcePolicy struct {
	Version   string            `json:"Version"`
	Statement []policyStatement `json:"Statement"`
}

type policyStatement struct {
	Effect    string          `json:"Effect"`
	Principal json.RawMessage `json:"Principal"`
	Action    stringOrList    `json:"Action"`
	Resource  stringOrList    `json:"Resource"`
}

// stringOrList is a policy member that may be one string or a list of them.
type stringOrList []string

func (l *stringOrList) UnmarshalJSON(data []byte) error {
	var one string
	if err := json.Unmarshal(data, &one); err == nil {
		*l = []string{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(data, &many); err != nil {
		return err
	}
	*l = many
	return nil
}

// parsePolicy reads and checks a resource policy document.
func parsePolicy(document string) (*resourcePolicy, error) {
	var policy resourcePolicy
	if err := json.Unmarshal([]byte(document), &policy); err != nil {
		return nil, apierr.New(invalidPolicy, "The resource policy is not valid JSON.")
	}
	if len(policy.Statement) == 0 {
		return nil, apierr.New(invalidPolicy, "The resource policy has no Statement.")
	}
	for _, statement := range policy.Statement {
		if statement.Effect != "Allow" && statement.Effect != "Deny" {
			return nil, apierr.New(invalidPolicy, "Each policy statement needs Effect Allow or Deny.")
		}
		if len(statement.Principal) == 0 || len(statement.Action) == 0 {
			return nil, apierr.New(invalidPolicy, "Each policy statement needs a Principal and an Action.")
		}
	}
	return &policy, nil
}

// policyAllows reports whether a stored policy lets account perform
// acm-pca action on the CA: an Allow statement matches and no Deny does.
//
// NOTE: Condition blocks are not evaluated; a statement with one is
// treated as if it had none.
func policyAllows(document, account, action, caARN string) bool {
	if document == "" {
		return false
	}
	policy, err := parsePolicy(document)
	if err != nil {
		return false
	}
	allowed := false
	for _, statement := range policy.Statement {
		if !statement.matches(account, action, caARN) {
			continue
		}
		if statement.Effect == "Deny" {
			return false
		}
		allowed = true
	}
	return allowed
}

func (st policyStatement) matches(account, action, caARN string) bool {
	actionMatch := slices.ContainsFunc(st.Action, func(a string) bool {
		return a == "*" || a == "acm-pca:*" || strings.EqualFold(a, "acm-pca:"+action)
	})
	resourceMatch := len(st.Resource) == 0 || slices.ContainsFunc(st.Resource, func(r string) bool {
		return r == "*" || r == caARN
	})
	return actionMatch && resourceMatch && principalMatches(st.Principal, account)
}

// principalMatches accepts "*", {"AWS": "*"}, an account id or an
// arn:aws:iam::<account>:root (one or a list).
func principalMatches(raw json.RawMessage, account string) bool {
	var star string
	if json.Unmarshal(raw, &star) == nil {
		return star == "*"
	}
	var principal struct {
		AWS stringOrList `json:"AWS"`
	}
	if json.Unmarshal(raw, &principal) != nil {
		return false
	}
	return slices.ContainsFunc(principal.AWS, func(p string) bool {
		return p == "*" || p == account || strings.HasPrefix(p, "arn:aws:iam::"+account+":")
	})
}

// PutPolicy attaches a resource policy to a CA.
func (s *Service) PutPolicy(ctx context.Context, caller Caller, in *PutPolicyInput) (*Empty, error) {
	ca, err := s.ownCA(ctx, caller, in.ResourceArn, "PutPolicy")
	if err != nil {
		return nil, err
	}
	if _, err := parsePolicy(in.Policy); err != nil {
		return nil, err
	}
	ca.Policy = in.Policy
	if err := s.save(ctx, ca); err != nil {
		return nil, err
	}
	s.logger.Info("certificate authority policy set", "arn", ca.ARN)
	return &Empty{}, nil
}

// GetPolicy returns a CA's resource policy.
func (s *Service) GetPolicy(ctx context.Context, caller Caller, in *ResourceArnInput) (*GetPolicyOutput, error) {
	ca, err := s.authority(ctx, caller, in.ResourceArn, "GetPolicy")
	if err != nil {
		return nil, err
	}
	if ca.Policy == "" {
		return nil, apierr.New(apierr.ResourceNotFound, "The certificate authority %s has no resource policy.", ca.ARN)
	}
	return &GetPolicyOutput{Policy: ca.Policy}, nil
}

// DeletePolicy removes a CA's resource policy.
func (s *Service) DeletePolicy(ctx context.Context, caller Caller, in *ResourceArnInput) (*Empty, error) {
	ca, err := s.ownCA(ctx, caller, in.ResourceArn, "DeletePolicy")
	if err != nil {
		return nil, err
	}
	if ca.Policy == "" {
		return nil, apierr.New(apierr.ResourceNotFound, "The certificate authority %s has no resource policy.", ca.ARN)
	}
	ca.Policy = ""
	if err := s.save(ctx, ca); err != nil {
		return nil, err
	}
	s.logger.Info("certificate authority policy deleted", "arn", ca.ARN)
	return &Empty{}, nil
}

// ownCA loads a CA for an action that only its owner may take and that
// needs the CA not to be DELETED.
func (s *Service) ownCA(ctx context.Context, caller Caller, caARN, action string) (*store.CertificateAuthority, error) {
	ca, err := s.authority(ctx, caller, caARN, action)
	if err != nil {
		return nil, err
	}
	if ca.Account != caller.Account {
		return nil, apierr.New(apierr.AccessDenied,
			"User: arn:aws:iam::%s:root is not authorized to perform: acm-pca:%s on resource: %s", caller.Account, action, caARN)
	}
	if ca.Status == StatusDeleted {
		return nil, stateError(ca.ARN, ca.Status, "accept this request")
	}
	return ca, nil
}

// CreatePermission grants a service principal actions on a CA.
func (s *Service) CreatePermission(ctx context.Context, caller Caller, in *CreatePermissionInput) (*Empty, error) {
	// AWS documents acm.amazonaws.com as the only principal a permission
	// may name. NOTE: the exception AWS returns for another principal is a
	// guess; the model declares none that fits better.
	if in.Principal != ACMPrincipal {
		return nil, apierr.New(apierr.Validation,
			"Principal %s is not valid: the only principal a permission can name is %s.", in.Principal, ACMPrincipal)
	}
	ca, err := s.ownCA(ctx, caller, in.CertificateAuthorityArn, "CreatePermission")
	if err != nil {
		return nil, err
	}
	sourceAccount := valueOr(in.SourceAccount, caller.Account)
	err = s.store.CreatePermission(ctx, &store.Permission{
		CAARN:         ca.ARN,
		Principal:     in.Principal,
		SourceAccount: sourceAccount,
		Actions:       dedupe(in.Actions),
		CreatedAt:     s.clock.Now(),
	})
	if errors.Is(err, store.ErrAlreadyExists) {
		return nil, apierr.New(permissionAlreadyExists,
			"The principal %s already has a permission on certificate authority %s.", in.Principal, ca.ARN)
	}
	if err != nil {
		return nil, fmt.Errorf("create permission: %w", err)
	}
	s.logger.Info("certificate authority permission created", "arn", ca.ARN, "principal", in.Principal, "actions", in.Actions)
	s.permissionsChanged()
	return &Empty{}, nil
}

func dedupe(values []string) []string {
	var out []string
	for _, value := range values {
		if !slices.Contains(out, value) {
			out = append(out, value)
		}
	}
	return out
}

// DeletePermission revokes a principal's permission on a CA.
func (s *Service) DeletePermission(ctx context.Context, caller Caller, in *DeletePermissionInput) (*Empty, error) {
	ca, err := s.ownCA(ctx, caller, in.CertificateAuthorityArn, "DeletePermission")
	if err != nil {
		return nil, err
	}
	err = s.store.DeletePermission(ctx, ca.ARN, in.Principal, valueOr(in.SourceAccount, caller.Account))
	if errors.Is(err, store.ErrNotFound) {
		return nil, apierr.New(apierr.ResourceNotFound,
			"The principal %s has no permission on certificate authority %s.", in.Principal, ca.ARN)
	}
	if err != nil {
		return nil, fmt.Errorf("delete permission: %w", err)
	}
	s.logger.Info("certificate authority permission deleted", "arn", ca.ARN, "principal", in.Principal)
	return &Empty{}, nil
}

// ListPermissions returns the permissions of a CA.
func (s *Service) ListPermissions(ctx context.Context, caller Caller, in *ListPermissionsInput) (*ListPermissionsOutput, error) {
	ca, err := s.ownCA(ctx, caller, in.CertificateAuthorityArn, "ListPermissions")
	if err != nil {
		return nil, err
	}
	permissions, err := s.store.ListPermissions(ctx, ca.ARN)
	if err != nil {
		return nil, fmt.Errorf("list permissions: %w", err)
	}

	out := &ListPermissionsOutput{Permissions: []Permission{}}
	for _, p := range permissions {
		out.Permissions = append(out.Permissions, Permission{
			CertificateAuthorityArn: p.CAARN,
			CreatedAt:               NewTimestamp(p.CreatedAt),
			Principal:               p.Principal,
			SourceAccount:           p.SourceAccount,
			Actions:                 p.Actions,
			Policy:                  permissionPolicy(p),
		})
	}
	page, next, err := paginate(out.Permissions, in.NextToken, pageSize(in.MaxResults))
	if err != nil {
		return nil, err
	}
	out.Permissions, out.NextToken = page, next
	return out, nil
}

// permissionPolicy renders a permission as the resource policy AWS shows with it.
func permissionPolicy(p *store.Permission) string {
	actions := make([]string, len(p.Actions))
	for i, action := range p.Actions {
		actions[i] = "acm-pca:" + action
	}
	document, _ := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Effect":    "Allow",
			"Principal": map[string]string{"Service": p.Principal},
			"Action":    actions,
			"Resource":  p.CAARN,
			"Condition": map[string]any{"StringEquals": map[string]string{"aws:SourceAccount": p.SourceAccount}},
		}},
	})
	return string(document)
}

// ACMMayRenew reports whether the CA granted ACM every action renewal needs.
func (s *Service) ACMMayRenew(ctx context.Context, caARN, account string) (bool, error) {
	permissions, err := s.store.ListPermissions(ctx, caARN)
	if err != nil {
		return false, err
	}
	for _, p := range permissions {
		if p.Principal != ACMPrincipal || p.SourceAccount != account {
			continue
		}
		granted := true
		for _, action := range renewalActions {
			granted = granted && slices.Contains(p.Actions, action)
		}
		if granted {
			return true, nil
		}
	}
	return false, nil
}

// paginate cuts one page out of a full list. The token is the decimal
// offset of the page.
func paginate[T any](items []T, token string, size int) ([]T, string, error) {
	offset := 0
	if token != "" {
		if _, err := fmt.Sscanf(token, "%d", &offset); err != nil || offset < 0 || offset > len(items) || fmt.Sprint(offset) != token {
			return nil, "", apierr.New(invalidNextToken, "The token passed in the NextToken parameter is not valid.")
		}
	}
	end := min(offset+size, len(items))
	next := ""
	if end < len(items) {
		next = fmt.Sprint(end)
	}
	return items[offset:end], next, nil
}
