/** The CSV writer lives in shared/ (the renderer writes the duplicates list with it); match keeps its import path. */
export * from '../../shared/csv.js';
