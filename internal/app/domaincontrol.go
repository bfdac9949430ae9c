package app

import (
	"context"
	"fmt"
	"time"

	"github.com/openacm/openacm/internal/acm"
	"github.com/openacm/openacm/internal/config"
	"github.com/openacm/openacm/internal/events"
	"github.com/openacm/openacm/internal/validation"
)

// addDomainControl sets up the e-mail, HTTP and CAA checks of real validation.
func (a *App) addDomainControl(deps *acm.Deps, dns *validation.DNSChecker) error {
	cfg := a.config
	deps.Redirect = validation.NewHTTPChecker(dns, validation.HTTPCheckerOptions{Port: a.options.HTTPValidationPort})
	deps.CAA = validation.NewCAAChecker(dns, cfg.CAAIdentityList())

	if cfg.SMTPAddr == "" {
		a.logger.Warn("no --smtp-addr: names validated by EMAIL stay pending until they time out")
		return nil
	}
	password, err := cfg.SMTPPassword(config.GetenvOS)
	if err != nil {
		return err
	}
	mailer, err := validation.NewMailer(validation.SMTPOptions{
		Addr:     cfg.SMTPAddr,
		From:     cfg.SMTPFrom,
		StartTLS: cfg.SMTPStartTLS,
		Username: cfg.SMTPUsername,
		Password: password,
	})
	if err != nil {
		return fmt.Errorf("set up SMTP: %w", err)
	}
	deps.Mailer = mailer
	a.logger.Info("approval e-mail enabled", "smtp_addr", cfg.SMTPAddr, "from", cfg.SMTPFrom,
		"starttls", cfg.SMTPStartTLS, "auth", cfg.SMTPUsername != "")
	return nil
}

// eventSinks returns the log sink and, when configured, the webhook.
func (a *App) eventSinks() acm.EventSink {
	sinks := events.Sinks{events.LogSink{Logger: a.logger}}
	if a.config.EventWebhookURL != "" {
		a.webhook = events.NewWebhook(a.config.EventWebhookURL, a.logger, events.WebhookOptions{})
		sinks = append(sinks, a.webhook)
	}
	return sinks
}

func (a *App) closeWebhook() {
	if a.webhook != nil {
		a.webhook.Close()
	}
}

// RunWorkerOnce runs one worker pass now and waits for it. Tests that move
// a fake clock call it instead of waiting for the worker's own timer.
func (a *App) RunWorkerOnce(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	_, err := a.worker.RunOnce(ctx)
	return err
}
