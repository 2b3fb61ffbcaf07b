"""Stage 1, fetch: the WeCom API client, its models and a faithful local simulator."""
