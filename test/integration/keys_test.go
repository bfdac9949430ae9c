package integration

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"database/sql"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/acm/types"

	"github.com/openacm/openacm/internal/app"
	"github.com/openacm/openacm/internal/config"
	"github.com/openacm/openacm/internal/keys"
	"github.com/openacm/openacm/internal/store/sqlstore"
)

// DER patterns that start private keys: the version and algorithm of a
// PKCS#8 RSA or EC key, and the version and scalar tag of a SEC 1 EC key.
var privateKeyDERPrefixes = map[string][]byte{
	"PKCS#8 RSA":    {0x02, 0x01, 0x00, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01},
	"PKCS#8 EC":     {0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01},
	"SEC 1 EC P256": {0x02, 0x01, 0x01, 0x04, 0x20},
	"SEC 1 EC P384": {0x02, 0x01, 0x01, 0x04, 0x30},
}

// TestNoPrivateKeyInClear issues a certificate of every key algorithm
// OpenACM's CA signs, then scans every file of the data dir, while the
// server runs and after it stopped, for PEM private key headers, DER
// private key prefixes and the raw bytes of each private key (the
// certificates' and the CA's).
func TestNoPrivateKeyInClear(t *testing.T) {
	s := startServer(t)
	client := s.client(testRegion)
	ctx := context.Background()

	var arns []string
	for _, algorithm := range []types.KeyAlgorithm{types.KeyAlgorithmRsa2048, types.KeyAlgorithmEcPrime256v1, types.KeyAlgorithmEcSecp384r1} {
		out, err := client.RequestCertificate(ctx, &acm.RequestCertificateInput{
			DomainName:   aws.String(strings.ToLower(strings.ReplaceAll(string(algorithm), "_", "-")) + ".scan.example.com"),
			KeyAlgorithm: algorithm,
		})
		if err != nil {
			t.Fatalf("RequestCertificate %s: %v", algorithm, err)
		}
		arns = append(arns, *out.CertificateArn)
	}
	for _, arn := range arns {
		waitForStatus(t, client, arn, "ISSUED")
	}

	secrets := openedKeys(t, s, arns)
	// Each key adds its DER and its secret number.
	if len(secrets) != 2*(len(arns)+2) {
		t.Fatalf("found %d private key byte strings, want 2 for each of %d certificate keys and 2 CA keys", len(secrets), len(arns))
	}

	scanDataDir(t, s.dataDir, secrets)
	s.stop()
	scanDataDir(t, s.dataDir, secrets)
}

// openedKeys reads the private keys of the certificates and of the CA
// through the store, with the data dir's master key, and returns the
// byte strings that must never appear in clear.
func openedKeys(t *testing.T, s *server, arns []string) map[string][]byte {
	t.Helper()
	keyring, err := keys.LoadFile(filepath.Join(s.dataDir, app.MasterKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	st, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(s.dataDir, app.DatabaseFile), nil, sqlstore.WithKeyring(keyring))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	found := map[string][]byte{}
	for _, arn := range arns {
		cert, err := st.GetCertificate(context.Background(), "000000000000", testRegion, arn)
		if err != nil {
			t.Fatal(err)
		}
		addKeyBytes(t, found, arn, cert.PrivateKeyPEM)
	}

	material, err := st.GetSecret(context.Background(), "issuing_ca")
	if err != nil {
		t.Fatalf("read CA material: %v", err)
	}
	var ca map[string]string
	if err := json.Unmarshal(material, &ca); err != nil {
		t.Fatal(err)
	}
	addKeyBytes(t, found, "CA root", []byte(ca["root_key_pem"]))
	addKeyBytes(t, found, "CA intermediate", []byte(ca["intermediate_key_pem"]))
	return found
}

// addKeyBytes adds the DER of a PEM private key, and the secret number of
// the key (an RSA prime, an EC scalar), under name.
func addKeyBytes(t *testing.T, found map[string][]byte, name string, keyPEM []byte) {
	t.Helper()
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		t.Fatalf("%s: no PEM private key", name)
	}
	found[name] = block.Bytes
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		key, err = x509.ParseECPrivateKey(block.Bytes)
	}
	if err != nil {
		t.Fatalf("%s: parse private key: %v", name, err)
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		found[name+" prime"] = k.Primes[0].Bytes()
	case *ecdsa.PrivateKey:
		scalar, err := k.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		found[name+" scalar"] = scalar
	}
}

// scanDataDir fails when any file of dir, other than the master key file,
// contains a private key in clear.
func scanDataDir(t *testing.T, dir string, secrets map[string][]byte) {
	t.Helper()
	scanned := 0
	err := filepath.WalkDir(dir, func(path string, entry fs.DirEntry, err error) error {
		if err != nil || entry.IsDir() || entry.Name() == app.MasterKeyFile {
			return err
		}
		content, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		scanned++
		if bytes.Contains(content, []byte("PRIVATE KEY-----")) {
			t.Errorf("%s contains a PEM private key header", path)
		}
		for name, prefix := range privateKeyDERPrefixes {
			if bytes.Contains(content, prefix) {
				t.Errorf("%s contains the DER start of a %s private key", path, name)
			}
		}
		for name, secret := range secrets {
			if bytes.Contains(content, secret) {
				t.Errorf("%s contains the private key of %s in clear", path, name)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if scanned == 0 {
		t.Fatalf("scanned no files in %s", dir)
	}
}

// TestMasterKeyRotationWhileServing rotates the master key while clients
// keep requesting and describing certificates, whose private keys the
// store opens on every read. No request may fail, the store must end up
// sealed by the new key alone, and a node given the old key must refuse
// to start.
func TestMasterKeyRotationWhileServing(t *testing.T) {
	keyDir := t.TempDir()
	keyFile := filepath.Join(keyDir, "master.key")
	if _, err := keys.CreateFile(keyFile); err != nil {
		t.Fatal(err)
	}
	oldKeys, err := keys.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	s := startServer(t, func(c *config.Config) { c.MasterKeyFile = keyFile })
	client := s.client(testRegion)
	ctx := context.Background()

	var issued []string
	for i := range 3 {
		out, err := client.RequestCertificate(ctx, &acm.RequestCertificateInput{DomainName: aws.String("rotate" + string(rune('a'+i)) + ".example.com")})
		if err != nil {
			t.Fatal(err)
		}
		issued = append(issued, *out.CertificateArn)
	}
	for _, arn := range issued {
		waitForStatus(t, client, arn, "ISSUED")
	}

	var (
		stop     atomic.Bool
		requests atomic.Int64
		failures = make(chan error, 100)
		wg       sync.WaitGroup
	)
	wg.Go(func() {
		for i := 0; !stop.Load(); i++ {
			if _, err := client.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(issued[i%len(issued)])}); err != nil {
				failures <- err
				return
			}
			if i%5 == 0 {
				out, err := client.RequestCertificate(ctx, &acm.RequestCertificateInput{DomainName: aws.String("during.example.com")})
				if err != nil {
					failures <- err
					return
				}
				issued = append(issued, *out.CertificateArn)
			}
			requests.Add(1)
		}
	})

	rotateConfig := s.config
	result, err := app.RotateMasterKey(ctx, rotateConfig, slog.New(slog.NewTextHandler(io.Discard, nil)))
	for requests.Load() < 20 && len(failures) == 0 {
		// Keep the clients running until they have made requests after the rotation too.
		client.ListCertificates(ctx, &acm.ListCertificatesInput{})
	}
	stop.Store(true)
	wg.Wait()
	close(failures)
	if err != nil {
		t.Fatalf("RotateMasterKey: %v", err)
	}
	for failure := range failures {
		t.Errorf("request during rotation failed: %v", failure)
	}
	// The three keys issued before the rotation, and the two server secrets.
	if result.Rewrapped < 5 {
		t.Errorf("rotation rewrapped %d values, want at least 5", result.Rewrapped)
	}
	for _, arn := range issued {
		waitForStatus(t, client, arn, "ISSUED")
	}

	newKeys, err := keys.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(newKeys) != 1 || bytes.Equal(newKeys[0], oldKeys[0]) {
		t.Fatalf("master key file after rotation holds %d keys, want the new key alone", len(newKeys))
	}
	for _, value := range sealedValues(t, s.dataDir) {
		if id, err := keys.SealedKeyID(value); err != nil || id != keys.KeyID(newKeys[0]) {
			t.Errorf("a sealed value has key id %x (%v), want the new key's", id, err)
		}
	}

	s.restart()
	if _, err := s.client(testRegion).DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(issued[0])}); err != nil {
		t.Errorf("DescribeCertificate after a restart with the new key: %v", err)
	}
	s.stop()

	if err := keys.WriteFile(keyFile, oldKeys); err != nil {
		t.Fatal(err)
	}
	running, err := app.Start(ctx, s.config, slog.New(slog.NewTextHandler(io.Discard, nil)), app.Options{})
	if err == nil {
		running.Close(ctx)
		t.Fatalf("a node with the retired master key started")
	}
	if !errors.Is(err, app.ErrMasterKeyMismatch) {
		t.Errorf("start with the retired master key: error = %v, want ErrMasterKeyMismatch", err)
	}
}

// sealedValues reads every sealed column of the database file.
func sealedValues(t *testing.T, dataDir string) [][]byte {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dataDir, app.DatabaseFile)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	var values [][]byte
	for _, query := range []string{
		`SELECT private_key FROM certificates WHERE private_key IS NOT NULL`,
		`SELECT value FROM secrets`,
	} {
		rows, err := db.Query(query)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var value []byte
			if err := rows.Scan(&value); err != nil {
				t.Fatal(err)
			}
			values = append(values, value)
		}
		rows.Close()
	}
	if len(values) == 0 {
		t.Fatalf("no sealed values in the database")
	}
	return values
}
