package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/services/webapp/shopapi"
)

type editPage struct {
	Item         shopapi.Item
	ETag         string
	Price, Stock string // as entered, or the item's
	Errors       []string
}

// maxPrice is catalog's highest price.
var maxPrice = money.MustParse("1000000000")

// parsePrice reads the price the admin entered: above 0, at most
// maxPrice, with at most 2 decimals.
func parsePrice(text string) (money.Money, bool) {
	price, err := money.Parse(text)
	if err != nil || !price.IsPositive() || !price.HasCents() || price.Cmp(maxPrice) > 0 {
		return money.Money{}, false
	}
	return price, true
}

// admin returns the admin's access token, or answers: a sign-in for
// nobody, 403 for a buyer.
func (h *handlers) admin(w http.ResponseWriter, r *http.Request) (string, bool) {
	u, token, ok := h.signedIn(w, r)
	if !ok {
		return "", false
	}
	if !u.IsAdmin() {
		h.errorPage(w, r, http.StatusForbidden, "Only an administrator may edit the catalog.")
		return "", false
	}
	return token, true
}

// editForm is GET /admin/items/{id}: the price and stock of an item, and
// the ETag of the version they are read from.
func (h *handlers) editForm(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.admin(w, r); !ok {
		return
	}
	it, etag, ok := h.pathItem(w, r)
	if !ok {
		return
	}
	h.showEdit(w, r, http.StatusOK, editPage{Item: it, ETag: etag, Price: it.Price.String(), Stock: strconv.FormatInt(it.AvailableStock, 10)})
}

func (h *handlers) showEdit(w http.ResponseWriter, r *http.Request, status int, e editPage) {
	h.render(w, r, status, "edit", h.newPage(r, "Edit "+e.Item.Name, e))
}

// edit is POST /admin/items/{id}: the new price and stock, sent to catalog
// with If-Match: the ETag the form was read with. When the item changed
// meanwhile (412), nothing is saved and the form shows the item as it is
// now, with its new ETag.
func (h *handlers) edit(w http.ResponseWriter, r *http.Request) {
	token, ok := h.admin(w, r)
	if !ok {
		return
	}
	id, ok := h.pathID(w, r, "id")
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		h.errorPage(w, r, http.StatusBadRequest, "The form could not be read.")
		return
	}
	e := editPage{ETag: r.PostForm.Get("etag"), Price: strings.TrimSpace(r.PostForm.Get("price")), Stock: strings.TrimSpace(r.PostForm.Get("availableStock"))}
	price, ok := parsePrice(e.Price)
	if !ok {
		e.Errors = append(e.Errors, "The price must be above 0, at most 1000000000, with at most 2 decimals.")
	}
	stock, err := strconv.ParseInt(e.Stock, 10, 32)
	if err != nil || stock < 0 {
		e.Errors = append(e.Errors, "The available stock must be a whole number, 0 or more.")
	}
	if e.ETag == "" {
		e.Errors = append(e.Errors, "The form lacks the version it was read from; open the editor again.")
	}
	current, _, err := h.Catalog.Item(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	e.Item = current
	if len(e.Errors) > 0 {
		h.showEdit(w, r, http.StatusBadRequest, e)
		return
	}
	current.Price, current.AvailableStock = price, stock
	_, _, err = h.Catalog.UpdateItem(r.Context(), token, current, e.ETag)
	if shopapi.IsStatus(err, http.StatusPreconditionFailed) {
		fresh, etag, err := h.Catalog.Item(r.Context(), id)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		h.showEdit(w, r, http.StatusPreconditionFailed, editPage{Item: fresh, ETag: etag, Price: fresh.Price.String(),
			Stock:  strconv.FormatInt(fresh.AvailableStock, 10),
			Errors: []string{"The item changed meanwhile, so your edit was not saved. These are its current values; edit them again."}})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.redirect(w, r, "/items/"+strconv.FormatInt(id, 10), "Saved "+current.Name+".")
}
