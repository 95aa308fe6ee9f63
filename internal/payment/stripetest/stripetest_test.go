package stripetest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestStartServesOnLoopbackOnce: the first call starts stripe-mock on
// 127.0.0.1, a second gets the same one, and it answers the API.
func TestStartServesOnLoopbackOnce(t *testing.T) {
	first := Start(t)
	if second := Start(t); second != first {
		t.Fatalf("a second Start gave %s, not %s", second, first)
	}
	u, err := url.Parse(first)
	if err != nil || u.Scheme != "http" || u.Hostname() != "127.0.0.1" || u.Port() == "" {
		t.Fatalf("Start = %q, want http://127.0.0.1:port", first)
	}
	req, _ := http.NewRequest(http.MethodPost, first+"/v1/payment_intents", strings.NewReader("amount=1000&currency=eur"))
	req.Header.Set("Authorization", "Bearer sk_test_123abc")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("POST /v1/payment_intents = %s", res.Status)
	}
}
