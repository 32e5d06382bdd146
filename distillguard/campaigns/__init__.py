"""Link accounts into campaigns."""
