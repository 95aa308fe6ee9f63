package fault

import (
	"errors"
	"fmt"
	"testing"
)

func TestKindsMatchSentinels(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", New(NotFound, "no vendor %q", "acme"))
	if !errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict) {
		t.Fatalf("errors.Is by kind is wrong for %v", err)
	}
	fe, ok := As(err)
	if !ok || fe.Message != `no vendor "acme"` || fe.CodeOrKind() != "not_found" {
		t.Fatalf("As = %+v, %v", fe, ok)
	}
	cause := errors.New("pq: secret detail")
	w := Wrap(cause, Unavailable, "try later")
	if !errors.Is(w, cause) || w.Message != "try later" {
		t.Fatalf("Wrap lost its cause or message: %+v", w)
	}
}

func TestFieldsListsEveryField(t *testing.T) {
	if Fields("ok", nil) != nil {
		t.Fatal("no fields must be no error")
	}
	err := Fields("invalid vendor", map[string]string{"slug": "is reserved", "name": "is required"})
	if !errors.Is(err, ErrInvalid) {
		t.Fatal("not invalid")
	}
	if got := err.Error(); got != "invalid vendor (name: is required; slug: is reserved)" {
		t.Fatalf("Error() = %q", got)
	}
}
