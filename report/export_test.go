package report

// CheckParquetRoundTrip is checkParquetRoundTrip for the external tests of
// this package (parquet_fixtures_test.go), which run real captures through
// the pipeline: one comparison of Parquet with JSON, not a copy of it.
var CheckParquetRoundTrip = checkParquetRoundTrip
