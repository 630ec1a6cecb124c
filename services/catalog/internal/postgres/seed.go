package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// seedLock is the advisory lock key under which a replica seeds, so that two
// replicas starting at once on an empty database do not both seed it.
const seedLock int64 = 0x636174616c6f67 // "catalog"

// Seed fills an empty catalog with the sample brands, types and items. A
// catalog that has any brand, type or item is left as it is, so Seed is safe
// to run at every start and from several replicas at once.
func (s *Store) Seed(ctx context.Context) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, seedLock); err != nil {
			return err
		}
		var empty bool
		if err := tx.QueryRow(ctx, `SELECT NOT EXISTS (SELECT 1 FROM catalog_items)
			AND NOT EXISTS (SELECT 1 FROM catalog_types) AND NOT EXISTS (SELECT 1 FROM catalog_brands)`).Scan(&empty); err != nil {
			return err
		}
		if !empty {
			return nil
		}
		for _, t := range sampleTypes {
			if _, err := tx.Exec(ctx, `INSERT INTO catalog_types (type) VALUES ($1)`, t); err != nil {
				return err
			}
		}
		for _, b := range sampleBrands {
			if _, err := tx.Exec(ctx, `INSERT INTO catalog_brands (brand) VALUES ($1)`, b); err != nil {
				return err
			}
		}
		for _, it := range sampleItems {
			if _, err := tx.Exec(ctx, `
				INSERT INTO catalog_items (name, description, price, picture_file_name, catalog_type_id,
					catalog_brand_id, available_stock, restock_threshold, max_stock_threshold)
				SELECT $1, $2, $3::numeric, $4, t.id, b.id, $7, $8, $9
				FROM catalog_types t, catalog_brands b WHERE t.type = $5 AND b.brand = $6`,
				it.name, it.description, it.price, it.picture, it.typ, it.brand, it.stock, it.restock, it.maxStock); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("seed the catalog: %w", err)
	}
	return nil
}

// The sample catalog: a small outdoor-gear shop.
var (
	sampleTypes  = []string{"Backpacks", "Tents", "Footwear", "Lighting", "Camp Kitchen"}
	sampleBrands = []string{"Ridgeline", "Northfold", "Cinder & Pine", "Tidewater"}
	sampleItems  = []struct {
		name, description, price, picture, typ, brand string
		stock, restock, maxStock                      int
	}{
		{"Alder Daypack 22", "A 22-litre daypack with a padded laptop sleeve and a rain cover tucked in the lid.", "64.00", "1.svg", "Backpacks", "Ridgeline", 40, 5, 100},
		{"Basalt Trek 55", "A 55-litre trekking pack with an adjustable back length and hip-belt pockets.", "189.50", "2.svg", "Backpacks", "Northfold", 15, 3, 40},
		{"Cove Roll-Top 30", "A waterproof roll-top pack for kayak days and wet commutes.", "89.99", "3.svg", "Backpacks", "Tidewater", 25, 5, 60},
		{"Drift Solo Tent", "A one-person tent under a kilogram that pitches with a single trekking pole.", "229.00", "4.svg", "Tents", "Northfold", 8, 2, 20},
		{"Ember Dome 3", "A freestanding three-person dome with two doors and a roomy vestibule.", "319.00", "5.svg", "Tents", "Cinder & Pine", 6, 2, 15},
		{"Fjord Tunnel 4", "A four-person tunnel tent built to stand up to coastal wind.", "449.00", "6.svg", "Tents", "Tidewater", 4, 1, 10},
		{"Granite Approach Shoe", "Sticky rubber and a stiff toe box for scrambles and long approaches.", "134.95", "7.svg", "Footwear", "Ridgeline", 30, 6, 80},
		{"Heath Trail Runner", "A light trail shoe with a rock plate and a quick-drying mesh upper.", "119.00", "8.svg", "Footwear", "Northfold", 35, 6, 90},
		{"Isle Camp Sandal", "A strap sandal for river crossings and evenings at camp.", "49.50", "9.svg", "Footwear", "Tidewater", 50, 10, 120},
		{"Juniper Headlamp 400", "A 400-lumen headlamp with a red night mode and a USB-C rechargeable cell.", "44.00", "10.svg", "Lighting", "Cinder & Pine", 60, 10, 150},
		{"Kestrel Lantern", "A collapsible lantern that doubles as a power bank for a phone.", "38.75", "11.svg", "Lighting", "Ridgeline", 45, 8, 100},
		{"Lichen String Lights", "Ten metres of warm-white lights for the tent or the porch.", "24.00", "12.svg", "Lighting", "Tidewater", 70, 10, 150},
		{"Moss Titanium Pot 900", "A 900 ml titanium pot that nests a small gas canister and a stove.", "54.90", "13.svg", "Camp Kitchen", "Northfold", 28, 5, 70},
		{"Nettle Canister Stove", "A compact stove with a piezo igniter and a wide pot support.", "69.00", "14.svg", "Camp Kitchen", "Cinder & Pine", 22, 5, 60},
		{"Oak Folding Spork", "A spork that folds in half to ride inside a mug.", "7.50", "15.svg", "Camp Kitchen", "Ridgeline", 120, 20, 300},
	}
)
