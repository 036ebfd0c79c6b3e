// Package pii protects personal data — phone and ID numbers — at rest: AES-256-GCM
// encryption, a keyed hash (HMAC-SHA-256) for exact lookups, and masking for screens
// and exports.
package pii

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// EnvKey names the environment variable that may hold the key (base64 of 64 bytes).
const EnvKey = "GENGXIN_PII_KEY"

// keyLen is 32 bytes for AES-256 and 32 for the lookup hash.
const keyLen = 64

// ErrBadKey reports a key of the wrong form.
var ErrBadKey = errors.New("personal-data key must be 64 bytes, base64-encoded")

// ErrDecrypt reports ciphertext that does not open with this key.
var ErrDecrypt = errors.New("personal data does not decrypt with this key")

// Box seals and opens personal data with one key.
type Box struct {
	aead cipher.AEAD
	mac  []byte
}

// New makes a Box from a 64-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != keyLen {
		return nil, ErrBadKey
	}
	block, err := aes.NewCipher(key[:32])
	if err != nil {
		return nil, fmt.Errorf("aes: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("gcm: %w", err)
	}
	return &Box{aead: aead, mac: append([]byte(nil), key[32:]...)}, nil
}

// LoadKey returns the key from the environment value env when it is not empty,
// else from the file at path, creating that file (mode 0600) with a new random key
// when it does not exist.
func LoadKey(path, env string) ([]byte, error) {
	if env != "" {
		k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(env))
		if err != nil || len(k) != keyLen {
			return nil, fmt.Errorf("%s: %w", EnvKey, ErrBadKey)
		}
		return k, nil
	}
	b, err := os.ReadFile(path)
	if err == nil {
		k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(k) != keyLen {
			return nil, fmt.Errorf("key file %s: %w", path, ErrBadKey)
		}
		return k, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	k := make([]byte, keyLen)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("new key: %w", err)
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("key folder: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create key file: %w", err)
	}
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(k) + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("write key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("write key file: %w", err)
	}
	return k, nil
}

// Seal encrypts plain; an empty string seals to nil so that "unknown" stays NULL.
func (b *Box) Seal(plain string) ([]byte, error) {
	if plain == "" {
		return nil, nil
	}
	nonce := make([]byte, b.aead.NonceSize(), b.aead.NonceSize()+len(plain)+b.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	return b.aead.Seal(nonce, nonce, []byte(plain), nil), nil
}

// Open decrypts what Seal produced; nil opens to "".
func (b *Box) Open(sealed []byte) (string, error) {
	if len(sealed) == 0 {
		return "", nil
	}
	n := b.aead.NonceSize()
	if len(sealed) < n+b.aead.Overhead() {
		return "", ErrDecrypt
	}
	p, err := b.aead.Open(nil, sealed[:n], sealed[n:], nil)
	if err != nil {
		return "", ErrDecrypt
	}
	return string(p), nil
}

// Index returns the keyed lookup hash of a normalised value; "" for "".
func (b *Box) Index(plain string) string {
	plain = Normalize(plain)
	if plain == "" {
		return ""
	}
	m := hmac.New(sha256.New, b.mac)
	m.Write([]byte(plain))
	return hex.EncodeToString(m.Sum(nil))
}

// Normalize strips spaces and dashes and upper-cases the ID check letter, so that
// "138-0000 1111" and "13800001111" hash alike.
func Normalize(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\t' {
			return -1
		}
		return r
	}, s)
	s = strings.TrimPrefix(s, "+86")
	return strings.ToUpper(s)
}

// MaskPhone shows the first three and last four digits: 138****1111.
func MaskPhone(p string) string {
	p = Normalize(p)
	if len(p) < 7 {
		return maskAll(p)
	}
	return p[:3] + strings.Repeat("*", len(p)-7) + p[len(p)-4:]
}

// MaskID shows the first six and last four characters of an ID number.
func MaskID(id string) string {
	id = Normalize(id)
	if len(id) < 10 {
		return maskAll(id)
	}
	return id[:6] + strings.Repeat("*", len(id)-10) + id[len(id)-4:]
}

// MaskName keeps the first character of a person's name: 张** for 张三丰.
func MaskName(name string) string {
	n := utf8.RuneCountInString(name)
	if n <= 1 {
		return name
	}
	r, size := utf8.DecodeRuneInString(name)
	_ = size
	return string(r) + strings.Repeat("*", n-1)
}

func maskAll(s string) string { return strings.Repeat("*", len(s)) }
