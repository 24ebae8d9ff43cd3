"""Tests in a real browser (headless Chromium, installed by ``make browser``)."""
