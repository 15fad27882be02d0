FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=consortium.settings.production
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN SECRET_KEY=build DATABASE_URL=postgres://x@localhost/x REDIS_URL=redis://localhost ALLOWED_HOSTS=x \
    python manage.py collectstatic --noinput
RUN useradd --create-home ishtiraak && mkdir -p /app/var/media /app/var/private && chown -R ishtiraak /app/var
USER ishtiraak
EXPOSE 8000
CMD ["gunicorn", "consortium.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60"]
