package integration

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/acm/types"
	"github.com/chromedp/chromedp"

	"github.com/openacm/openacm/internal/app"
)

// chromiumPath returns Debian's chromium, or skips the test when it is not
// installed; .ci/run installs it, so CI always runs the test.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	t.Skip("chromium is not installed (apt-get install chromium); .ci/run installs it so CI runs this test")
	return ""
}

func TestEmailApprovalInBrowser(t *testing.T) {
	browser := chromiumPath(t)
	s, mail, _ := startEmailValidation(t, app.Options{})
	client := s.client("us-east-1")
	arn := requestCertificate(t, client, &acm.RequestCertificateInput{
		DomainName: aws.String("browser.example.com"), ValidationMethod: types.ValidationMethodEmail,
	})
	link := linksFor(t, mail.WaitMessages(t, 5, 20*time.Second), "browser.example.com")["admin@browser.example.com"]
	if link == "" {
		t.Fatal("no approval link sent to admin@browser.example.com")
	}

	allocator, cancelAllocator := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(browser),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("blink-settings", "scriptEnabled=false"),
		chromedp.UserDataDir(t.TempDir()),
	)
	defer cancelAllocator()
	ctx, cancel := chromedp.NewContext(allocator)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	defer cancelTimeout()

	if err := chromedp.Do(ctx, chromedp.Navigate(link)); err != nil {
		t.Fatalf("open approval link in chromium: %v", err)
	}
	domain := browserText(ctx, t, "domain")
	certificate := browserText(ctx, t, "certificate")
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.ID("approve"))); err != nil {
		t.Fatalf("click approve in chromium: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("message"))); err != nil {
		t.Fatalf("wait for the approved page: %v", err)
	}
	title := browserText(ctx, t, "title")
	if domain != "browser.example.com" || certificate != arn {
		t.Errorf("approval page shows domain %q certificate %q, want browser.example.com and %s", domain, certificate, arn)
	}
	if !strings.Contains(title, "Approved") {
		t.Errorf("page title after approving = %q, want Approved", title)
	}

	waitForStatus(t, client, arn, "ISSUED")
}

// browserText returns the text of the element with id on the browser's page.
func browserText(ctx context.Context, t *testing.T, id string) string {
	t.Helper()
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID(id)))
	if err != nil {
		t.Fatalf("read #%s in chromium: %v", id, err)
	}
	return strings.TrimSpace(text)
}
