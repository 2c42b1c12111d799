import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import type { KeyDescription, SigningAlg } from './key-store';
import type { KeysView } from './keys-admin.service';

export class RotateKeyDto {
  @ApiProperty({
    maxLength: 200,
    example: 'key material exposed, INC-12',
    description: 'why (kept in the audit event)',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @Matches(/^[^\u0000-\u001f\u007f]+$/u, { message: 'reason must not contain control characters' }) // eslint-disable-line no-control-regex
  reason!: string;

  @ApiPropertyOptional({
    default: false,
    description:
      'sign with the new key at once instead of after SIGNING_KEY_PREPUBLISH_SECONDS; verifiers that fetched the JWKS within their refresh cooldown (30 s) refuse tokens signed with it until they refetch',
  })
  @IsOptional()
  @IsBoolean()
  immediate?: boolean;

  @ApiPropertyOptional({
    default: false,
    description:
      'implies immediate. Withdraw every other key from the JWKS now: access tokens they signed stop verifying (clients refresh); without it they stay valid until they expire',
  })
  @IsOptional()
  @IsBoolean()
  retirePrevious?: boolean;
}

/** A signing key as operators see it (never a private member). */
export class SigningKeyDoc implements KeyDescription {
  @ApiProperty({
    description: "the key's RFC 7638 thumbprint",
    example: 'NqWgzctPq0r3dY3pW0xTr1bAqKpQmfxn2a1Yq8yvJ0E',
  })
  kid!: string;

  @ApiProperty({ enum: ['EdDSA', 'ES256'] })
  alg!: SigningAlg;

  @ApiProperty({
    enum: ['signing', 'pending', 'retiring', 'expired'],
    description:
      'signing: signs new tokens; pending: published, signs later; retiring: published until its tokens expire; expired: about to be deleted',
  })
  state!: KeyDescription['state'];

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;

  @ApiProperty({ format: 'date-time', description: 'when it signs (or signed) first' })
  activatesAt!: string;

  @ApiProperty({ minimum: 0, example: 12, description: 'whole days since it was made (seed 000-54)' })
  ageDays!: number;

  @ApiProperty({ description: 'in /.well-known/jwks.json' })
  published!: boolean;
}

/** GET /api/v1/admin/keys. */
export class SigningKeysDoc implements KeysView {
  @ApiProperty({ type: [SigningKeyDoc], description: 'newest first' })
  keys!: SigningKeyDoc[];

  @ApiProperty({ description: 'the key signing new tokens (the first lane)' })
  signingKid!: string;

  @ApiProperty({
    type: String,
    nullable: true,
    format: 'date-time',
    description: 'SIGNING_KEY_ROTATION_DAYS',
  })
  nextRotationAt!: string | null;
}

/** POST /api/v1/admin/keys/rotate: the keys after the rotation, and what it did. */
export class KeyRotationDoc extends SigningKeysDoc {
  @ApiProperty({ description: 'the new key' })
  rotatedTo!: string;

  @ApiProperty({ description: 'the key that signed before' })
  previousKid!: string;

  @ApiProperty({ format: 'date-time', description: 'when the new key signs' })
  activatesAt!: string;
}

const KEY = {
  kid: 'NqWgzctPq0r3dY3pW0xTr1bAqKpQmfxn2a1Yq8yvJ0E',
  alg: 'EdDSA' as const,
  state: 'signing' as const,
  createdAt: '2026-11-20T09:00:00.000Z',
  activatesAt: '2026-11-20T09:05:00.000Z',
  ageDays: 12,
  published: true,
};

export const SIGNING_KEYS_EXAMPLE: SigningKeysDoc = {
  keys: [KEY],
  signingKid: KEY.kid,
  nextRotationAt: '2027-02-18T09:00:00.000Z',
};

export const KEY_ROTATION_EXAMPLE: KeyRotationDoc = {
  keys: [
    {
      ...KEY,
      kid: 'b3xG0dVxk1u7Lr2H5Qq9sKc8zJmP4wYt6nRfA0eDiUo',
      state: 'pending',
      createdAt: '2026-12-02T09:00:00.000Z',
      activatesAt: '2026-12-02T09:05:00.000Z',
      ageDays: 0,
    },
    KEY,
  ],
  signingKid: KEY.kid,
  nextRotationAt: '2027-03-02T09:00:00.000Z',
  rotatedTo: 'b3xG0dVxk1u7Lr2H5Qq9sKc8zJmP4wYt6nRfA0eDiUo',
  previousKid: KEY.kid,
  activatesAt: '2026-12-02T09:05:00.000Z',
};

/** One public key of /.well-known/jwks.json (RFC 7517; OKP Ed25519 or EC P-256). */
export class PublicJwkDoc {
  @ApiProperty({ enum: ['OKP', 'EC'] }) kty!: string;
  @ApiProperty({ enum: ['Ed25519', 'P-256'] }) crv!: string;
  @ApiProperty({ description: 'base64url' }) x!: string;
  @ApiPropertyOptional({ description: 'base64url (EC keys)' }) y?: string;
  @ApiProperty() kid!: string;
  @ApiProperty({ enum: ['EdDSA', 'ES256'] }) alg!: string;
  @ApiProperty({ enum: ['sig'] }) use!: string;
}

export class JwksDoc {
  @ApiProperty({ type: [PublicJwkDoc] }) keys!: PublicJwkDoc[];
}

export const JWKS_EXAMPLE: JwksDoc = {
  keys: [
    {
      kty: 'OKP',
      crv: 'Ed25519',
      x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
      kid: KEY.kid,
      alg: 'EdDSA',
      use: 'sig',
    },
  ],
};
