/**
 * Product filters (free text, category, brand, price range) over imported product data and OCR text. With a
 * query image they narrow the visual ranking; alone they search by text.
 */
import { useI18n } from '../../i18n';
import { NO_PRODUCT_FILTERS, type ProductFilters } from './use-search';

interface Props {
  value: ProductFilters;
  onChange: (next: ProductFilters) => void;
}

export function ProductFilterBar({ value, onChange }: Props) {
  const { t } = useI18n();
  const set = (patch: Partial<ProductFilters>) => onChange({ ...value, ...patch });
  const active = Object.values(value).some((v) => v.trim() !== '');
  return (
    <div className="controls product-filters" role="group" aria-label={t.filters.title}>
      <label className="control control-grow">
        <span>{t.filters.text}</span>
        <input
          type="search"
          value={value.text}
          placeholder={t.filters.textPlaceholder}
          onChange={(e) => set({ text: e.target.value })}
          data-testid="filter-text"
        />
      </label>
      <label className="control">
        <span>{t.filters.category}</span>
        <input value={value.category} placeholder={t.filters.listPlaceholder} onChange={(e) => set({ category: e.target.value })} data-testid="filter-category" />
      </label>
      <label className="control">
        <span>{t.filters.brand}</span>
        <input value={value.brand} placeholder={t.filters.listPlaceholder} onChange={(e) => set({ brand: e.target.value })} data-testid="filter-brand" />
      </label>
      <label className="control control-price">
        <span>{t.filters.priceMin}</span>
        <input type="number" min={0} step="any" value={value.priceMin} onChange={(e) => set({ priceMin: e.target.value })} data-testid="filter-price-min" />
      </label>
      <label className="control control-price">
        <span>{t.filters.priceMax}</span>
        <input type="number" min={0} step="any" value={value.priceMax} onChange={(e) => set({ priceMax: e.target.value })} data-testid="filter-price-max" />
      </label>
      {active && (
        <button type="button" className="link-button" onClick={() => onChange(NO_PRODUCT_FILTERS)}>
          {t.filters.clear}
        </button>
      )}
    </div>
  );
}
