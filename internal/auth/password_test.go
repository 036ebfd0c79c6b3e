package auth_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/gengxin/gengxin/internal/auth"
)

func cheapParams() auth.Params {
	return auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
}

func TestPasswordHashAndVerify(t *testing.T) {
	h, err := auth.HashPassword("长城长城-correct horse", auth.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=2,p=2$") || strings.Count(h, "$") != 5 {
		t.Fatalf("hash %q is not a PHC argon2id string with the default parameters", h)
	}
	if ok, err := auth.VerifyPassword(h, "长城长城-correct horse"); err != nil || !ok {
		t.Errorf("right password: %v, %v", ok, err)
	}
	if ok, err := auth.VerifyPassword(h, "长城长城-correct hors"); err != nil || ok {
		t.Errorf("wrong password accepted: %v, %v", ok, err)
	}
	h2, err := auth.HashPassword("长城长城-correct horse", auth.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	if h2 == h {
		t.Error("two hashes of one password are equal: salt is not random")
	}
	if auth.NeedsRehash(h, auth.DefaultParams()) {
		t.Error("fresh hash needs rehash")
	}
	if !auth.NeedsRehash(h, cheapParams()) {
		t.Error("hash with other parameters does not need rehash")
	}
}

func TestVerifyMalformedHash(t *testing.T) {
	for _, h := range []string{
		"",
		"plain",
		"$2a$10$abcdefghijklmnopqrstuv",
		"$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
		"$argon2id$v=16$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
		"$argon2id$v=19$m=64,t=0,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
		"$argon2id$v=19$m=99999999999,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g",
		"$argon2id$v=19$m=64,t=1,p=1$!!!$aGFzaGhhc2g",
		"$argon2id$v=19$m=64,t=1,x=1$c2FsdHNhbHQ$aGFzaGhhc2g",
	} {
		ok, err := auth.VerifyPassword(h, "whatever-password")
		if ok || !errors.Is(err, auth.ErrBadHash) {
			t.Errorf("VerifyPassword(%q) = %v, %v; want ErrBadHash", h, ok, err)
		}
		if !auth.NeedsRehash(h, cheapParams()) {
			t.Errorf("NeedsRehash(%q) = false", h)
		}
	}
}

func TestValidatePassword(t *testing.T) {
	tests := []struct {
		pw   string
		want error
	}{
		{"", auth.ErrWeakPassword},
		{"123456789", auth.ErrWeakPassword},
		{"1234567890", nil},
		{"更新城市更新城市更新", nil}, // ten characters, thirty bytes
		{"更新城市更新城市更", auth.ErrWeakPassword},
		{strings.Repeat("a", 257), auth.ErrLongPassword},
	}
	for _, tt := range tests {
		if err := auth.ValidatePassword(tt.pw); !errors.Is(err, tt.want) {
			t.Errorf("ValidatePassword(%q) = %v, want %v", tt.pw, err, tt.want)
		}
	}
	msg := auth.ErrWeakPassword.Error()
	if !strings.Contains(msg, "10") || !strings.Contains(msg, "密码") || !strings.Contains(msg, "password") {
		t.Errorf("weak password message %q does not explain the rule in both languages", msg)
	}
}
