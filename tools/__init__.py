"""Maintainer tools for the course (not installed with course_utils)."""
