package pii_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/gengxin/gengxin/internal/pii"
)

func newBox(t *testing.T) *pii.Box {
	t.Helper()
	k, err := pii.LoadKey(filepath.Join(t.TempDir(), "pii.key"), "")
	if err != nil {
		t.Fatal(err)
	}
	b, err := pii.New(k)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSealOpen(t *testing.T) {
	b := newBox(t)
	s1, err := b.Seal("13812345678")
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := b.Seal("13812345678")
	if bytes.Equal(s1, s2) {
		t.Error("two seals of the same phone are equal; nonce not random")
	}
	if bytes.Contains(s1, []byte("13812345678")) {
		t.Error("ciphertext contains the phone number")
	}
	if p, err := b.Open(s1); err != nil || p != "13812345678" {
		t.Errorf("Open = %q, %v", p, err)
	}
	s1[len(s1)-1] ^= 1
	if _, err := b.Open(s1); !errors.Is(err, pii.ErrDecrypt) {
		t.Errorf("tampered Open error = %v, want ErrDecrypt", err)
	}
	if s, _ := b.Seal(""); s != nil {
		t.Error("empty value should seal to nil")
	}
	other := newBox(t)
	s3, _ := b.Seal("x")
	if _, err := other.Open(s3); !errors.Is(err, pii.ErrDecrypt) {
		t.Errorf("open with another key: %v", err)
	}
	if b.Index("138 1234-5678") != b.Index("13812345678") || b.Index("a") == other.Index("a") {
		t.Error("Index must normalise and depend on the key")
	}
}

func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "pii.key")
	k1, err := pii.LoadKey(path, "")
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v, %v; want 0600", st.Mode().Perm(), err)
	}
	k2, err := pii.LoadKey(path, "")
	if err != nil || !bytes.Equal(k1, k2) {
		t.Error("second load returned another key")
	}
	env := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 64))
	k3, err := pii.LoadKey(path, env)
	if err != nil || k3[0] != 7 {
		t.Errorf("env key not used: %v", err)
	}
	if _, err := pii.LoadKey(path, "c2hvcnQ="); !errors.Is(err, pii.ErrBadKey) {
		t.Errorf("short env key error = %v", err)
	}
}

func TestMask(t *testing.T) {
	tests := []struct {
		f        func(string) string
		in, want string
	}{
		{pii.MaskPhone, "13812345678", "138****5678"},
		{pii.MaskPhone, "+86 138 1234 5678", "138****5678"},
		{pii.MaskPhone, "12345", "*****"},
		{pii.MaskID, "320402198001011234", "320402********1234"},
		{pii.MaskID, "32040219800101123x", "320402********123X"},
		{pii.MaskName, "张三丰", "张**"},
		{pii.MaskName, "李", "李"},
	}
	for _, tt := range tests {
		if got := tt.f(tt.in); got != tt.want {
			t.Errorf("mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
