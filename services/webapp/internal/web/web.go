// Package web is the storefront: the pages (server-rendered html/template,
// progressive enhancement with two small scripts), the forms they post,
// the sign-in routes and the server-sent events stream of order statuses.
// It is a backend for the browser: it calls the shop's APIs with the
// signed-in user's token, which never leaves the server-side session.
//
// Every page answers readable HTML without JavaScript; only the checkout
// needs it, to hand the card to payment from the page. Every POST is
// refused when it comes from another site (http.CrossOriginProtection),
// and the Content-Security-Policy allows no inline script or style.
package web

import (
	"context"
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/eshop-go/eshop-go/services/webapp/internal/live"
	"github.com/eshop-go/eshop-go/services/webapp/internal/signin"
	"github.com/eshop-go/eshop-go/services/webapp/shopapi"
	"github.com/go-chi/chi/v5"
)

//go:embed templates static
var files embed.FS

// Catalog is what the pages read of the catalog, and the admin's edit.
type Catalog interface {
	Items(ctx context.Context, f shopapi.Filter) (shopapi.ItemPage, error)
	Item(ctx context.Context, id int64) (shopapi.Item, string, error)
	UpdateItem(ctx context.Context, token string, it shopapi.Item, etag string) (shopapi.Item, string, error)
	Brands(ctx context.Context) ([]shopapi.Brand, error)
	Types(ctx context.Context) ([]shopapi.Type, error)
	Picture(ctx context.Context, id int64, ifNoneMatch string) (*shopapi.Picture, error)
}

// Basket is the buyer's basket and its checkout.
type Basket interface {
	Get(ctx context.Context, token, buyerID string) (shopapi.Basket, error)
	Update(ctx context.Context, token, buyerID string, items []shopapi.BasketItem) (shopapi.Basket, error)
	Checkout(ctx context.Context, token, buyerID, requestID string, c shopapi.Checkout) error
}

// Ordering is the buyer's orders and the card types.
type Ordering interface {
	Orders(ctx context.Context, token string) ([]shopapi.OrderSummary, error)
	Order(ctx context.Context, token string, number int64) (shopapi.Order, error)
	CardTypes(ctx context.Context) ([]shopapi.CardType, error)
}

// Accounts signs users in and out and gives their access token.
type Accounts interface {
	Begin(ctx context.Context, returnTo string) (string, error)
	Complete(ctx context.Context, query url.Values) (string, error)
	End(ctx context.Context) string
	User(ctx context.Context) (signin.User, bool)
	AccessToken(ctx context.Context) (string, error)
	// Stream opens one more stream of the signed-in session: the channel
	// is closed when the session's sign-in ends; the function closes the
	// stream.
	Stream(ctx context.Context) (<-chan struct{}, func(), error)
}

// Live opens the streams of a buyer's order status changes.
type Live interface {
	Subscribe(buyerID string, since time.Time) *live.Subscription
	Unsubscribe(s *live.Subscription)
}

// Deps are what the pages need.
type Deps struct {
	Catalog  Catalog
	Basket   Basket
	Ordering Ordering
	Accounts Accounts
	Sessions *scs.SessionManager
	Live     Live
	// PaymentPublicURL is where the checkout page sends the card (the
	// browser's address of payment).
	PaymentPublicURL string
	// IdentityURL is the sign-in service's public URL, where the sign-out
	// form's redirect goes.
	IdentityURL string
	// APIDocs are the services whose OpenAPI documents the API pages show
	// (/apis), by name: each service's URL as the webapp reaches it.
	APIDocs map[string]string
}

// Mount adds the storefront's routes to r.
func Mount(r chi.Router, d Deps) {
	h := &handlers{Deps: d, pages: parsePages()}
	static, _ := fs.Sub(files, "static")
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.errorPage(w, r, http.StatusForbidden, "This form was sent from another site, so it was refused.")
	}))
	headers := securityHeaders(contentSecurityPolicy(d.PaymentPublicURL, d.IdentityURL))
	// A page that is not there is a page too, not a problem document.
	r.NotFound(headers(d.Sessions.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.errorPage(w, r, http.StatusNotFound, "There is no page at this address.")
	}))).ServeHTTP)
	// The stylesheet, the scripts and the pictures load no session: a page
	// loads many of them at once, and each would save the session it
	// loaded when it ends, however long after a sign-out.
	r.Group(func(r chi.Router) {
		r.Use(headers)
		r.Handle("/static/*", http.StripPrefix("/static/", cacheStatic(http.FileServerFS(static))))
		r.Get("/pics/{id}", h.picture)
	})
	r.Group(func(r chi.Router) {
		r.Use(headers, d.Sessions.LoadAndSave, cop.Handler)

		r.Get("/", h.catalog)
		r.Get("/items/{id}", h.item)
		r.Get("/basket", h.basket)
		r.Post("/basket/items", h.addToBasket)
		r.Post("/basket/items/{productId}", h.setQuantity)
		r.Post("/basket/items/{productId}/remove", h.removeFromBasket)
		r.Get("/checkout", h.checkoutForm)
		r.Post("/checkout", h.checkout)
		r.Get("/orders", h.orders)
		r.Get("/orders/{orderNumber}", h.order)
		r.Get("/events", h.events)
		r.Get("/admin/items/{id}", h.editForm)
		r.Post("/admin/items/{id}", h.edit)

		r.Get("/apis", h.apis)
		r.Get("/apis/{service}", h.apiDoc)
		r.Get("/apis/{service}/openapi.yaml", h.apiDocFile)

		r.Get("/signin", h.signIn)
		r.Get("/signin-oidc", h.signInCallback)
		r.Post("/signout", h.signOut)
		r.Get("/signout-callback-oidc", h.signedOut)
	})
}

type handlers struct {
	Deps
	pages map[string]*template.Template
}

// contentSecurityPolicy allows the shop's own scripts, styles and images
// only; the page may call payment (the card) and post forms that end at
// identity (the sign-out).
func contentSecurityPolicy(paymentURL, identityURL string) string {
	return "default-src 'self'; connect-src 'self' " + origin(paymentURL) +
		"; img-src 'self' data:; script-src 'self'; style-src 'self'; form-action 'self' " + origin(identityURL) +
		"; base-uri 'none'; frame-ancestors 'none'"
}

// origin is the scheme and host of rawURL.
func origin(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

func securityHeaders(csp string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("Content-Security-Policy", csp)
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Referrer-Policy", "same-origin")
			next.ServeHTTP(w, r)
		})
	}
}

// cacheStatic lets browsers keep the stylesheet and scripts for an hour.
func cacheStatic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}

// parsePages parses each page's template with the layout.
func parsePages() map[string]*template.Template {
	layout := template.Must(template.ParseFS(files, "templates/layout.html"))
	pages := map[string]*template.Template{}
	entries, _ := fs.Glob(files, "templates/*.html")
	for _, name := range entries {
		if strings.HasSuffix(name, "/layout.html") {
			continue
		}
		page := strings.TrimSuffix(strings.TrimPrefix(name, "templates/"), ".html")
		pages[page] = template.Must(template.Must(layout.Clone()).ParseFS(files, name))
	}
	return pages
}
