"""The smallest Flask app: the baseline the lesson page is compared with (`hello:app`)."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    """Return a short constant body."""
    return "Hello, world!"
