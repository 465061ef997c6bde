"""LTI 1.3: cocourse as a tool that learning platforms (Moodle, Canvas...) launch."""
