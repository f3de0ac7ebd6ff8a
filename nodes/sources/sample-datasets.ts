/**
 * The sample datasets bundled by the `vega-datasets` npm package, with their schemas written down as data so the
 * compiler and column pickers know the columns without reading a file. sample-dataset.test.ts checks these
 * against what DuckDB actually reads.
 */
import type { ColumnInfo, DType, TableInfo } from "../core/schema";

export interface SampleDataset {
  /** File name inside vega-datasets' `data/` folder. */
  file: string;
  title: string;
  /** One sentence for the palette: what the rows are and what one could predict. */
  about: string;
  rows: number;
  columns: ColumnInfo[];
}

const cols = (...pairs: Array<[string, DType]>): ColumnInfo[] => pairs.map(([name, dtype]) => ({ name, dtype }));

export const SAMPLE_DATASETS = {
  penguins: {
    file: "penguins.json",
    title: "Palmer penguins",
    about: "344 penguins with beak and flipper sizes and body mass; predict the species or the sex.",
    rows: 344,
    columns: cols(
      ["Species", "string"],
      ["Island", "string"],
      ["Beak Length (mm)", "float"],
      ["Beak Depth (mm)", "float"],
      ["Flipper Length (mm)", "int"],
      ["Body Mass (g)", "int"],
      ["Sex", "string"],
    ),
  },
  cars: {
    file: "cars.json",
    title: "Cars (1970–1982)",
    about: "406 car models with engine size, weight and origin; predict fuel economy (miles per gallon).",
    rows: 406,
    columns: cols(
      ["Name", "string"],
      ["Miles_per_Gallon", "float"],
      ["Cylinders", "int"],
      ["Displacement", "float"],
      ["Horsepower", "int"],
      ["Weight_in_lbs", "int"],
      ["Acceleration", "float"],
      ["Year", "date"],
      ["Origin", "string"],
    ),
  },
  "seattle-weather": {
    file: "seattle-weather.csv",
    title: "Seattle weather (2012–2015)",
    about: "One row per day with rain, temperatures and wind; predict the kind of weather.",
    rows: 1461,
    columns: cols(["date", "date"], ["precipitation", "float"], ["temp_max", "float"], ["temp_min", "float"], ["wind", "float"], ["weather", "string"]),
  },
  gapminder: {
    file: "gapminder.json",
    title: "Gapminder countries",
    about: "Countries every five years with population and fertility; predict life expectancy.",
    rows: 682,
    columns: cols(["year", "int"], ["country", "string"], ["cluster", "int"], ["pop", "int"], ["life_expect", "float"], ["fertility", "float"]),
  },
  movies: {
    file: "movies.json",
    title: "Movies (messy)",
    about: "3,201 films with budgets, grosses and ratings, with many missing values; good for cleaning and validation.",
    rows: 3201,
    columns: cols(
      ["Title", "string"],
      ["US Gross", "int"],
      ["Worldwide Gross", "float"],
      ["US DVD Sales", "int"],
      ["Production Budget", "int"],
      ["Release Date", "string"],
      ["MPAA Rating", "string"],
      ["Running Time min", "int"],
      ["Distributor", "string"],
      ["Source", "string"],
      ["Major Genre", "string"],
      ["Creative Type", "string"],
      ["Director", "string"],
      ["Rotten Tomatoes Rating", "int"],
      ["IMDB Rating", "float"],
      ["IMDB Votes", "int"],
    ),
  },
  "flights-3m": {
    file: "flights-3m.parquet",
    title: "US flights (3 million rows)",
    about: "Three million US domestic flights with distance and delay; a large table for trying Lattice at scale.",
    rows: 3_000_000,
    columns: cols(["date", "timestamp"], ["delay", "int"], ["distance", "int"], ["origin", "string"], ["destination", "string"]),
  },
} as const satisfies Record<string, SampleDataset>;

export type SampleDatasetId = keyof typeof SAMPLE_DATASETS;

export const SAMPLE_DATASET_IDS = Object.keys(SAMPLE_DATASETS) as [SampleDatasetId, ...SampleDatasetId[]];

/** The declared schema of a dataset, as infer() reports it. */
export function sampleTableInfo(id: SampleDatasetId): TableInfo {
  const d: SampleDataset = SAMPLE_DATASETS[id];
  return { columns: d.columns.map((c) => ({ ...c })), rows: d.rows };
}
