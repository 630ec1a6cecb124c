package web

import (
	"net/http"
	"strconv"

	"github.com/eshop-go/eshop-go/buildingblocks/money"
	"github.com/eshop-go/eshop-go/services/webapp/internal/signin"
	"github.com/eshop-go/eshop-go/services/webapp/shopapi"
)

// maxQuantity is the most units of a product a basket line holds (basket's
// rule).
const maxQuantity = 1000

type basketLine struct {
	shopapi.BasketItem
	Subtotal money.Money
}

type basketPage struct {
	Lines []basketLine
	Total money.Money
}

// basket is GET /basket: the lines, with a notice on each whose price
// changed since it was added.
func (h *handlers) basket(w http.ResponseWriter, r *http.Request) {
	_, _, b, ok := h.buyersBasket(w, r)
	if !ok {
		return
	}
	h.countBasket(r, b)
	h.render(w, r, http.StatusOK, "basket", h.newPage(r, "Basket", viewBasket(b)))
}

// buyersBasket returns the signed-in user, their token and their basket,
// or answers (ok false): a sign-in, or the basket API's failure.
func (h *handlers) buyersBasket(w http.ResponseWriter, r *http.Request) (signin.User, string, shopapi.Basket, bool) {
	u, token, ok := h.signedIn(w, r)
	if !ok {
		return u, "", shopapi.Basket{}, false
	}
	b, err := h.Basket.Get(r.Context(), token, u.Subject)
	if err != nil {
		h.fail(w, r, err)
		return u, "", shopapi.Basket{}, false
	}
	return u, token, b, true
}

func viewBasket(b shopapi.Basket) basketPage {
	var p basketPage
	for _, it := range b.Items {
		sub := it.UnitPrice.Times(int64(it.Quantity))
		p.Lines = append(p.Lines, basketLine{BasketItem: it, Subtotal: sub})
		p.Total = p.Total.Add(sub)
	}
	return p
}

// countBasket remembers how many units the basket holds, for the header.
func (h *handlers) countBasket(r *http.Request, b shopapi.Basket) {
	n := 0
	for _, it := range b.Items {
		n += it.Quantity
	}
	h.Sessions.Put(r.Context(), keyBasketCount, n)
}

// addToBasket is POST /basket/items (productId): one more unit of the
// product, at the catalog's price. The webapp keeps no basket: it reads
// the buyer's, changes it, and sends it back.
func (h *handlers) addToBasket(w http.ResponseWriter, r *http.Request) {
	u, token, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PostFormValue("productId"), 10, 64)
	if err != nil || id <= 0 || id > 1<<31-1 {
		h.errorPage(w, r, http.StatusBadRequest, "productId must be a product's id.")
		return
	}
	item, _, err := h.Catalog.Item(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	b, err := h.Basket.Get(r.Context(), token, u.Subject)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	lines := b.Items
	found := false
	for i := range lines {
		if lines[i].ProductID == id {
			lines[i].Quantity = min(lines[i].Quantity+1, maxQuantity)
			found = true
		}
	}
	if !found {
		lines = append(lines, shopapi.BasketItem{ProductID: id, ProductName: item.Name, UnitPrice: item.Price, Quantity: 1,
			PictureURL: "/pics/" + strconv.FormatInt(id, 10)})
	}
	if b, err = h.Basket.Update(r.Context(), token, u.Subject, lines); err != nil {
		h.fail(w, r, err)
		return
	}
	h.countBasket(r, b)
	h.redirect(w, r, h.referer(r, "/basket"), "Added "+item.Name+" to your basket.")
}

// setQuantity is POST /basket/items/{productId} (quantity 1..1000).
func (h *handlers) setQuantity(w http.ResponseWriter, r *http.Request) {
	q, err := strconv.Atoi(r.PostFormValue("quantity"))
	if err != nil || q < 1 || q > maxQuantity {
		h.errorPage(w, r, http.StatusBadRequest, "The quantity must be a whole number from 1 to 1000.")
		return
	}
	h.changeLine(w, r, func(line *shopapi.BasketItem) bool { line.Quantity = q; return true }, "Updated the quantity.")
}

// removeFromBasket is POST /basket/items/{productId}/remove.
func (h *handlers) removeFromBasket(w http.ResponseWriter, r *http.Request) {
	h.changeLine(w, r, func(*shopapi.BasketItem) bool { return false }, "Removed the product from your basket.")
}

// changeLine applies change to the basket's line of the path's product
// (false drops the line) and sends the basket back; then to /basket.
func (h *handlers) changeLine(w http.ResponseWriter, r *http.Request, change func(*shopapi.BasketItem) bool, notice string) {
	id, ok := h.pathID(w, r, "productId")
	if !ok {
		return
	}
	u, token, b, ok := h.buyersBasket(w, r)
	if !ok {
		return
	}
	lines := make([]shopapi.BasketItem, 0, len(b.Items))
	found := false
	for _, line := range b.Items {
		if line.ProductID == id {
			found = true
			if !change(&line) {
				continue
			}
		}
		lines = append(lines, line)
	}
	if !found {
		h.errorPage(w, r, http.StatusNotFound, "That product is not in your basket.")
		return
	}
	b, err := h.Basket.Update(r.Context(), token, u.Subject, lines)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.countBasket(r, b)
	h.redirect(w, r, "/basket", notice)
}
