package sqlstore

import (
	"time"

	"github.com/openacm/openacm/internal/store"
)

// renewalRow is store.Renewal inside the details JSON object.
type renewalRow struct {
	Status            string                `json:"status"`
	StatusReason      string                `json:"status_reason,omitempty"`
	DomainValidations []domainValidationRow `json:"domain_validations"`
	StartedAt         time.Time             `json:"started_at,omitzero"`
	UpdatedAt         time.Time             `json:"updated_at,omitzero"`
}

func renewalRowFrom(renewal *store.Renewal) *renewalRow {
	if renewal == nil {
		return nil
	}
	return &renewalRow{
		Status:            renewal.Status,
		StatusReason:      renewal.StatusReason,
		DomainValidations: domainValidationRows(renewal.DomainValidations),
		StartedAt:         renewal.StartedAt.UTC(),
		UpdatedAt:         renewal.UpdatedAt.UTC(),
	}
}

func (r *renewalRow) renewal() *store.Renewal {
	if r == nil {
		return nil
	}
	return &store.Renewal{
		Status:            r.Status,
		StatusReason:      r.StatusReason,
		DomainValidations: storeDomainValidations(r.DomainValidations),
		StartedAt:         r.StartedAt.UTC(),
		UpdatedAt:         r.UpdatedAt.UTC(),
	}
}

// domainValidationRows converts validations to rows with times in UTC; nil stays nil.
func domainValidationRows(validations []store.DomainValidation) []domainValidationRow {
	if validations == nil {
		return nil
	}
	rows := make([]domainValidationRow, len(validations))
	for i, validation := range validations {
		validation.EmailNextAttemptAt = validation.EmailNextAttemptAt.UTC()
		rows[i] = domainValidationRow(validation)
	}
	return rows
}

func storeDomainValidations(rows []domainValidationRow) []store.DomainValidation {
	if rows == nil {
		return nil
	}
	validations := make([]store.DomainValidation, len(rows))
	for i, row := range rows {
		validations[i] = store.DomainValidation(row)
		validations[i].EmailNextAttemptAt = row.EmailNextAttemptAt.UTC()
	}
	return validations
}
