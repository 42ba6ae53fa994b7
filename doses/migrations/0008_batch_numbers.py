# TRACE-BATCH: the batch (lot) number and expiry of each box picked up, and of each dose given.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("doses", "0007_kidney_neutrophils"),
    ]

    operations = [
        migrations.AddField(
            model_name="injection",
            name="batch_number",
            field=models.CharField(blank=True, help_text="TRACE-BATCH: blank = not recorded.", max_length=20),
        ),
        migrations.AddField(
            model_name="injection",
            name="batch_expires_on",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="supplyevent",
            name="batch_number",
            field=models.CharField(blank=True, help_text="TRACE-BATCH: a pick-up's lot number.", max_length=20),
        ),
        migrations.AddField(
            model_name="supplyevent",
            name="batch_expires_on",
            field=models.DateField(blank=True, help_text="TRACE-BATCH: the expiry on the box.", null=True),
        ),
        migrations.AddField(
            model_name="supplyevent",
            name="from_pickup",
            field=models.ForeignKey(
                blank=True,
                help_text="TRACE-BATCH: the pick-up (box) a dose's syringes came from.",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="taken_from",
                to="doses.supplyevent",
            ),
        ),
    ]
