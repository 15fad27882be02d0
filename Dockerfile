FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=consortium.settings.production
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# bin/web holds the build and start steps; tests/consortium/test_production.py runs the same
# two (collectstatic with hashing, gzip and Brotli; gunicorn) against PostgreSQL and Redis.
RUN bin/web build
RUN useradd --create-home ishtiraak && mkdir -p /app/var/media /app/var/private && chown -R ishtiraak /app/var
USER ishtiraak
ENV PORT=8000 WEB_CONCURRENCY=3
EXPOSE 8000
CMD ["bin/web", "start"]
