from django.db import migrations, models


class Migration(migrations.Migration):
    """Other medicines: the generic name a typed name resolved to, and how (issue 15, point 3)."""

    dependencies = [
        ("doses", "0008_batch_numbers"),
    ]

    operations = [
        migrations.AddField(
            model_name="othermedicine",
            name="generic_name",
            field=models.CharField(blank=True, max_length=120),
        ),
        migrations.AddField(
            model_name="othermedicine",
            name="match",
            field=models.CharField(
                blank=True,
                choices=[
                    ("exact", "Recognised by name"),
                    ("confirmed", "Close spelling, confirmed"),
                    ("unconfirmed", "Close spelling, not confirmed"),
                ],
                max_length=12,
            ),
        ),
    ]
